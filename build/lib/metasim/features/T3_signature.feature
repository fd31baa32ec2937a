Feature: T3 webhook signature and verification handshake
  Meta signs every webhook with X-Hub-Signature-256: sha256=<lowercase hex HMAC of the raw
  bytes>, bytes that are escaped-unicode JSON. META_SIGNATURE_REQUIRED moves from off to warn
  to enforce; enforce refuses a bad signature before anything is stored or answered.

  @T3.01 @P0-05 @needs-restart
  Scenario Outline: In enforce mode a <signature> signature on a <channel> sample is accepted and answered
    Given the gateway runs with signature mode "enforce"
    And a "<event>" sample
    When the sample is delivered with a <signature> signature
    Then the gateway acknowledges with 200
    And the fake Graph API receives exactly 1 reply

    @wa
    Examples: WhatsApp
      | channel  | event   | signature              |
      | WhatsApp | wa.text | valid                  |
      | WhatsApp | wa.text | valid plus legacy sha1 |

    @ig
    Examples: Instagram
      | channel   | event   | signature |
      | Instagram | ig.text | valid     |

    @msg
    Examples: Messenger
      | channel   | event    | signature |
      | Messenger | msg.text | valid     |

  @T3.02 @P0-05 @needs-restart
  Scenario Outline: In enforce mode a <signature> signature on a <channel> sample is rejected and nothing is answered
    Given the gateway runs with signature mode "enforce"
    And a "<event>" sample
    When the sample is delivered with a <signature> signature
    Then the gateway rejects the delivery
    And the fake Graph API receives no reply

    @wa
    Examples: WhatsApp
      | channel  | event   | signature    |
      | WhatsApp | wa.text | missing      |
      | WhatsApp | wa.text | wrong secret |
      | WhatsApp | wa.text | tampered     |

    @ig
    Examples: Instagram
      | channel   | event   | signature    |
      | Instagram | ig.text | missing      |
      | Instagram | ig.text | wrong secret |
      | Instagram | ig.text | tampered     |

    @msg
    Examples: Messenger
      | channel   | event    | signature    |
      | Messenger | msg.text | missing      |
      | Messenger | msg.text | wrong secret |
      | Messenger | msg.text | tampered     |

  @T3.03 @P0-05 @needs-restart @wa
  Scenario Outline: In enforce mode a signature with <signature> is rejected
    Given the gateway runs with signature mode "enforce"
    And a "wa.text" sample
    When the sample is delivered with a <signature> signature
    Then the gateway rejects the delivery
    And the fake Graph API receives no reply

    Examples:
      | signature        |
      | uppercase hex    |
      | sha1 only        |
      | sha1 prefix      |
      | no prefix        |
      | empty            |
      | empty digest     |
      | whitespace added |

  @T3.04 @P0-05 @needs-restart @wa
  Scenario: In enforce mode a UTF-8 re-serialised body under Meta's signature is rejected
    Given the gateway runs with signature mode "enforce"
    And a "wa.text.non_ascii" sample
    When the sample is delivered with a UTF-8 re-serialised signature
    Then the gateway rejects the delivery
    And the fake Graph API receives no reply

  @T3.05 @P0-05 @needs-restart
  Scenario Outline: In enforce mode non-ASCII <channel> text signed Meta's way is accepted and answered verbatim
    Given the gateway runs with signature mode "enforce"
    And a "<event>" sample
    And the sample text is "Merci 👍 à bientôt, café crème pour Zoë"
    When the sample is delivered with a valid signature
    Then the gateway acknowledges with 200
    And the reply text is "Merci 👍 à bientôt, café crème pour Zoë"

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

  @T3.06 @P0-05 @needs-restart @wa
  Scenario Outline: In warn mode a <signature> signature is acknowledged and the message answered
    Given the gateway runs with signature mode "warn"
    And a "wa.text" sample
    When the sample is delivered with a <signature> signature
    Then the gateway acknowledges with 200
    And the fake Graph API receives exactly 1 reply

    Examples:
      | signature    |
      | valid        |
      | missing      |
      | wrong secret |
      | tampered     |

  @T3.07 @P0-05 @needs-restart @wa
  Scenario Outline: In off mode a <signature> signature is acknowledged and the message answered
    Given the gateway runs with signature mode "off"
    And a "wa.text" sample
    When the sample is delivered with a <signature> signature
    Then the gateway acknowledges with 200
    And the fake Graph API receives exactly 1 reply

    Examples:
      | signature    |
      | valid        |
      | missing      |
      | wrong secret |
      | tampered     |

  @T3.08 @P0-05 @needs-restart @wa
  Scenario: Without a signature mode set the gateway warns and accepts a missing signature
    Given the gateway runs without a signature mode set
    And a "wa.text" sample
    When the sample is delivered with a missing signature
    Then the gateway acknowledges with 200
    And the fake Graph API receives exactly 1 reply

  @T3.09 @P0-05 @needs-restart
  Scenario Outline: In <mode> mode the gateway logs a startup warning about the signature mode
    Given the gateway runs with signature mode "<mode>"
    Then the gateway logs a startup warning about the signature mode

    Examples:
      | mode |
      | off  |
      | warn |

  @T3.10 @P0-05 @needs-restart
  Scenario: In enforce mode the gateway starts without a signature warning
    Given the gateway runs with signature mode "enforce"
    When the gateway restarts
    Then the gateway logs no startup warning about the signature mode

  @T3.11 @P0-05 @needs-restart
  Scenario: Without a signature mode set the gateway logs a startup warning
    Given the gateway runs without a signature mode set
    Then the gateway logs a startup warning about the signature mode

  @T3.12 @needs-handshake
  Scenario Outline: The <channel> handshake with the right verify token echoes the challenge
    When Meta verifies the <channel> webhook with the right verify token
    Then the gateway answers 200 with the challenge

    @wa
    Examples: WhatsApp
      | channel  |
      | WhatsApp |

    @ig
    Examples: Instagram
      | channel   |
      | Instagram |

    @msg
    Examples: Messenger
      | channel   |
      | Messenger |

  @T3.13 @needs-handshake
  Scenario Outline: The <channel> handshake with a wrong verify token is refused
    When Meta verifies the <channel> webhook with a wrong verify token
    Then the gateway refuses the handshake with 403

    @wa
    Examples: WhatsApp
      | channel  |
      | WhatsApp |

    @ig
    Examples: Instagram
      | channel   |
      | Instagram |

    @msg
    Examples: Messenger
      | channel   |
      | Messenger |

  @T3.14 @needs-handshake @wa
  Scenario Outline: A handshake with <variant> is refused even with the right token
    When Meta verifies the WhatsApp webhook with <variant>
    Then the gateway refuses the handshake with 403

    Examples:
      | variant               |
      | no hub.mode           |
      | hub.mode unsubscribe  |

  @T3.15 @needs-handshake @wa
  Scenario: A handshake without a verify token is refused
    When Meta verifies the WhatsApp webhook with no verify token
    Then the gateway refuses the handshake with 403
