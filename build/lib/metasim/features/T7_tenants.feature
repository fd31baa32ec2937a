Feature: T7 client resolution, authentication and tokens
  The receiving business id (phone number id, Page id, IG account id) names the client; each
  client's reply goes out with its own Graph token; an unknown tenant is never answered.

  @T7.01 @P0-06
  Scenario Outline: A <channel> message for an unknown tenant is acknowledged and never answered
    Given a "<event>" sample addressed to the unknown tenant
    When the sample is delivered
    Then the gateway acknowledges with 200
    And the fake Graph API receives no reply

    @wa
    Examples: WhatsApp
      | channel  | event   |
      | WhatsApp | wa.text |

    @ig
    Examples: Instagram
      | channel   | event   |
      | Instagram | ig.text |

    @msg
    Examples: Messenger
      | channel   | event    |
      | Messenger | msg.text |

  @T7.02 @P0-06 @needs-tenants
  Scenario Outline: A <channel> message for the secondary tenant is answered with that tenant's token
    Given a "<event>" sample addressed to the secondary tenant
    When the sample is delivered
    Then the gateway acknowledges with 200
    And the reply is sent as the secondary tenant

    @wa
    Examples: WhatsApp
      | channel  | event   |
      | WhatsApp | wa.text |

    @msg
    Examples: Messenger
      | channel   | event    |
      | Messenger | msg.text |

  @T7.03 @P0-06 @needs-tenants @wa
  Scenario: A tenant whose Graph token expired is not sent to
    Given a "wa.text" sample addressed to the expired tenant
    When the sample is delivered
    Then the gateway acknowledges with 200
    And the fake Graph API receives no reply

  @T7.06 @P0-06 @needs-tenants @needs-admin @wa
  Scenario: A message for a tenant whose Graph token expired is kept in quarantine, not dropped
    Given a "wa.text" sample addressed to the expired tenant
    When the sample is delivered
    Then the gateway acknowledges with 200
    And the gateway quarantines the sample with reason "token-expired"
    And the fake Graph API receives no reply

  @T7.04 @P0-06 @needs-tenants @ig
  Scenario: Each tenant is answered with its own reply rule and token in the same run
    Given a "ig.text" sample
    When the sample is delivered
    And a "ig.text" sample addressed to the secondary tenant
    And the sample is delivered
    Then every delivery is acknowledged with 200
    And the fake Graph API receives exactly 2 replies
    And every reply is accepted by the fake Graph API

  @T7.05 @P0-06 @needs-admin
  Scenario Outline: A <channel> envelope changed after its seal is quarantined and never answered
    Given the gateway tampers with the next sealed envelope
    And a "<event>" sample
    When the sample is delivered
    Then the gateway acknowledges with 200
    And the gateway quarantines the sample with reason "seal-broken"
    And the fake Graph API receives no reply

    @wa
    Examples: WhatsApp
      | channel  | event   |
      | WhatsApp | wa.text |

    @ig
    Examples: Instagram
      | channel   | event   |
      | Instagram | ig.text |

    @msg
    Examples: Messenger
      | channel   | event    |
      | Messenger | msg.text |
