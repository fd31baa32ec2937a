Feature: T6 contract validation of the canonical envelope and malformed input
  What cannot become a valid canonical envelope is quarantined and counted, never silently
  dropped; a body that is not JSON is refused with 400 and an oversized one with 413.

  @T6.01 @P0-06 @reference @msg
  Scenario: A body that is not JSON is refused with 400
    When these bytes are delivered to the Messenger webhook:
      """
      {"object":"page","entry":[{"id":"112233445566778","time":1767225600000,"messaging":[
      """
    Then the gateway acknowledges with 400
    And the fake Graph API receives no reply

  @T6.02 @P0-06 @reference @wa
  Scenario: A body larger than Meta's 3 MB limit is refused with 413
    When a validly signed body of 4 MiB is delivered to the WhatsApp webhook
    Then the gateway acknowledges with 413

  @T6.03 @P0-06 @needs-metrics @wa
  Scenario: A WhatsApp message without an id is acknowledged, quarantined and counted
    Given the metrics are read
    And a "wa.text" sample with:
      | path                                    | value |
      | entry.0.changes.0.value.messages.0.id   | null  |
    When the sample is delivered
    Then the gateway acknowledges with 200
    And the fake Graph API receives no reply
    And the metrics have moved by:
      | metric        | labels                          | change |
      | inbound_total | channel=wa,outcome=quarantined  | 1      |

  @T6.04 @P0-06 @P1-01 @wa
  Scenario: One invalid message in a batch does not lose the others
    Given a "batch.wa.3x2x2" sample with:
      | path                                    | value |
      | entry.0.changes.0.value.messages.0.id   | null  |
    When the sample is delivered
    Then the gateway acknowledges with 200
    And the fake Graph API receives exactly 11 replies

  @T6.05 @P0-06
  Scenario Outline: A <channel> webhook for another product's object is not answered
    When these bytes are delivered to the <channel> webhook:
      """
      {"object":"user","entry":[{"id":"100000000000001","time":1767225600,"changes":[{"field":"email","value":{}}]}]}
      """
    Then the fake Graph API receives no reply

    @wa
    Examples: WhatsApp
      | channel  |
      | WhatsApp |

    @msg
    Examples: Messenger
      | channel   |
      | Messenger |

    @ig
    Examples: Instagram
      | channel   |
      | Instagram |
