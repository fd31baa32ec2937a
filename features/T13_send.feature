Feature: T13 send path against the fake Graph API
  Replies go to the Graph API with the right endpoint, version, token and body; the fake
  Graph API validates them as Meta does. Temporary Graph errors are retried, permanent ones
  are not; WhatsApp media ids are resolved through Graph.

  @T13.01 @W5
  Scenario Outline: A <channel> reply is a valid Graph send with the tenant's token
    Given a "<event>" sample
    And the sample text is "Bonjour, une question sur ma commande"
    When the sample is delivered
    Then the fake Graph API receives exactly 1 reply
    And every reply is accepted by the fake Graph API
    And the reply is sent as the primary tenant
    And the reply is posted to the target's Graph API version
    And the reply has:
      | field   | value   |
      | <field> | <value> |

    @wa
    Examples: WhatsApp
      | channel  | event   | field             | value    |
      | WhatsApp | wa.text | messaging_product | whatsapp |

    @ig
    Examples: Instagram
      | channel   | event   | field        | value |
      | Instagram | ig.text | message.text | Bonjour, une question sur ma commande |

    @msg
    Examples: Messenger
      | channel   | event    | field          | value    |
      | Messenger | msg.text | messaging_type | RESPONSE |

  @T13.02 @W5 @W6 @W7
  Scenario Outline: A <fault> answered to a <channel> reply is retried and the reply sent once
    Given the fake Graph API fails the next send with <fault>
    And a "<event>" sample
    When the sample is delivered
    Then the fake Graph API sees 2 send attempts
    And the fake Graph API accepts exactly 1 reply

    @wa
    Examples: WhatsApp
      | channel  | fault                | event   |
      | WhatsApp | temporary outage     | wa.text |
      | WhatsApp | generic server error | wa.text |

    @msg
    Examples: Messenger
      | channel   | fault            | event    |
      | Messenger | temporary outage | msg.text |

  @T13.03 @W5 @W6 @W7
  Scenario Outline: A <fault> answered to a <channel> reply is not retried
    Given the fake Graph API fails the next send with <fault>
    And a "<event>" sample
    When the sample is delivered
    Then the fake Graph API sees 1 send attempts
    And the fake Graph API accepts exactly 0 replies

    @wa
    Examples: WhatsApp
      | channel  | fault                       | event   |
      | WhatsApp | invalid parameter           | wa.text |
      | WhatsApp | re-engagement window closed | wa.text |
      | WhatsApp | undeliverable recipient     | wa.text |

    @ig
    Examples: Instagram
      | channel   | fault         | event   |
      | Instagram | expired token | ig.text |

  @T13.04 @W5 @P0-01 @reference @wa
  Scenario Outline: The media id of a WhatsApp <type> is resolved through the Graph API
    Given a "<event>" sample
    When the sample is delivered
    Then the fake Graph API sees a media lookup for the sample's media id
    And the fake Graph API receives exactly 1 reply

    Examples:
      | type     | event       |
      | image    | wa.image    |
      | document | wa.document |
