Feature: T4 pipeline order and channel parity
  Every channel goes through the same ordered stages; only the parser differs. The 200 is
  answered once the raw event is durable, and a stage that refuses an update stops it there.

  @P0-06 @needs-logs
  Scenario Outline: A <channel> message goes through the stages in the shared order
    Given a "<event>" sample
    When the sample is delivered
    Then the gateway acknowledges with 200
    And the gateway logs the stages in this order:
      | stage          |
      | parse          |
      | signature      |
      | ack            |
      | contract       |
      | resolve_client |
      | apply_auth     |
      | seal           |
      | token_ok       |
      | dedupe         |
      | core           |
      | outbox         |
      | send           |

    @T4.01 @wa
    Examples: WhatsApp
      | channel  | event   |
      | WhatsApp | wa.text |

    @T4.02 @ig
    Examples: Instagram
      | channel   | event   |
      | Instagram | ig.text |

    @T4.03 @msg
    Examples: Messenger
      | channel   | event    |
      | Messenger | msg.text |

  @T4.04 @P0-06 @wa
  Scenario: The gateway acknowledges before the reply is sent, even while the fake Graph API is down
    Given the fake Graph API fails every send with temporary outage
    And a "wa.text" sample
    When the sample is delivered
    Then the gateway acknowledges with 200
    And the fake Graph API sees 3 send attempts

  @T4.05 @P0-06 @needs-logs @wa
  Scenario: An update for an unknown tenant stops at client resolution
    Given a "wa.text" sample addressed to the unknown tenant
    When the sample is delivered
    Then the gateway acknowledges with 200
    And the message's log lines stop at the resolve_client stage
    And the fake Graph API receives no reply
