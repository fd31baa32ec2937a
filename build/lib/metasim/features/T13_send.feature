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

  @T13.05 @W5 @W6 @W7
  Scenario Outline: Graph error <code>, temporary by Meta's account, is retried and the <channel> reply sent once
    Given the fake Graph API answers the next send with Graph error <code>
    And a "<event>" sample
    When the sample is delivered
    Then the fake Graph API sees 2 send attempts
    And the fake Graph API accepts exactly 1 reply

    @wa
    Examples: WhatsApp
      | code | channel | event |
      | 2 | WhatsApp | wa.text |
      | 4 | WhatsApp | wa.text |
      | 17 | WhatsApp | wa.text |
      | 32 | WhatsApp | wa.text |
      | 613 | WhatsApp | wa.text |
      | 80007 | WhatsApp | wa.text |
      | 130429 | WhatsApp | wa.text |
      | 131000 | WhatsApp | wa.text |
      | 131016 | WhatsApp | wa.text |

    @ig
    Examples: Instagram
      | code | channel   | event   |
      | 2    | Instagram | ig.text |

  @T13.06 @W5 @W6 @W7
  Scenario Outline: Graph error <code>, permanent by Meta's account, is not retried for a <channel> reply
    Given the fake Graph API answers the next send with Graph error <code>
    And a "<event>" sample
    When the sample is delivered
    Then the fake Graph API sees 1 send attempts
    And the fake Graph API accepts exactly 0 replies

    @wa
    Examples: WhatsApp
      | code | channel | event |
      | 0 | WhatsApp | wa.text |
      | 3 | WhatsApp | wa.text |
      | 10 | WhatsApp | wa.text |
      | 100 | WhatsApp | wa.text |
      | 104 | WhatsApp | wa.text |
      | 190 | WhatsApp | wa.text |
      | 200 | WhatsApp | wa.text |
      | 368 | WhatsApp | wa.text |
      | 2500 | WhatsApp | wa.text |
      | 130472 | WhatsApp | wa.text |
      | 131008 | WhatsApp | wa.text |
      | 131009 | WhatsApp | wa.text |
      | 131021 | WhatsApp | wa.text |
      | 131026 | WhatsApp | wa.text |
      | 131030 | WhatsApp | wa.text |
      | 131042 | WhatsApp | wa.text |
      | 131047 | WhatsApp | wa.text |
      | 131049 | WhatsApp | wa.text |
      | 131050 | WhatsApp | wa.text |
      | 131051 | WhatsApp | wa.text |
      | 131052 | WhatsApp | wa.text |
      | 131053 | WhatsApp | wa.text |
      | 131057 | WhatsApp | wa.text |
      | 132000 | WhatsApp | wa.text |
      | 132001 | WhatsApp | wa.text |
      | 132007 | WhatsApp | wa.text |
      | 132012 | WhatsApp | wa.text |
      | 132015 | WhatsApp | wa.text |
      | 132016 | WhatsApp | wa.text |
      | 133010 | WhatsApp | wa.text |
      | 135000 | WhatsApp | wa.text |

    @ig
    Examples: Instagram
      | code | channel   | event   |
      | 100  | Instagram | ig.text |

    @msg
    Examples: Messenger
      | code | channel | event |
      | 551 | Messenger | msg.text |
      | 2018001 | Messenger | msg.text |
      | 2018278 | Messenger | msg.text |

  @T13.07 @W5 @W6 @W7
  Scenario Outline: Graph error <code>, which Meta says to retry much later or not at all, never doubles a <channel> reply
    Given the fake Graph API answers the next send with Graph error <code>
    And a "<event>" sample
    When the sample is delivered
    Then the gateway acknowledges with 200
    And the fake Graph API accepts at most 1 reply

    @wa
    Examples: WhatsApp
      | code | channel | event |
      | 1 | WhatsApp | wa.text |
      | 131048 | WhatsApp | wa.text |
      | 131056 | WhatsApp | wa.text |
