Feature: T11 structured JSON logs
  Every log line is one JSON object with timestamp, level, channel, msg_id, correlation_id and
  stage; one correlation id follows a message from parse to send; no secret or token is ever
  written, whatever the request carried.

  @T11.01 @P2-02 @needs-logs
  Scenario Outline: Every log line for a <channel> message carries the required fields
    Given a "<event>" sample
    When the sample is delivered
    Then the fake Graph API receives exactly 1 reply
    And every log line has the fields:
      | field          |
      | timestamp      |
      | level          |
      | channel        |
      | msg_id         |
      | correlation_id |
      | stage          |

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

  @T11.02 @P2-02 @needs-logs @wa
  Scenario: One correlation id follows a message from parse to send
    Given a "wa.text" sample
    When the sample is delivered
    Then the fake Graph API receives exactly 1 reply
    And one correlation id follows the message through every stage

  @T11.03 @P2-02 @needs-logs @wa
  Scenario: No secret or token appears in the log, whatever the requests carried
    Given a "wa.text" sample
    When the sample is delivered with a wrong secret signature
    And Meta verifies the WhatsApp webhook with the right verify token
    And Meta verifies the WhatsApp webhook with a wrong verify token
    And the sample is delivered
    Then the fake Graph API receives exactly 1 reply
    And no log line contains a secret or token
