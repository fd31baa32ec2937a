Feature: T12 Prometheus metrics
  /metrics counts what came in and went out per channel and outcome; each counter moves by
  exactly what the scenario sent.

  @T12.01 @P2-03 @needs-metrics
  Scenario Outline: One <channel> message moves the inbound and outbound counters by one
    Given the metrics are read
    And a "<event>" sample
    When the sample is delivered
    Then the fake Graph API receives exactly 1 reply
    And the metrics have moved by:
      | metric         | labels                              | change |
      | inbound_total  | channel=<code>,outcome=processed    | 1      |
      | outbound_total | channel=<code>,outcome=sent         | 1      |

    @wa
    Examples: WhatsApp
      | channel  | event   | code |
      | WhatsApp | wa.text | wa   |

    @ig
    Examples: Instagram
      | channel   | event   | code |
      | Instagram | ig.text | ig   |

    @msg
    Examples: Messenger
      | channel   | event    | code |
      | Messenger | msg.text | msg  |

  @T12.02 @P2-03 @P1-01 @needs-metrics @wa
  Scenario: A batch of twelve messages moves the counters by twelve
    Given the metrics are read
    And a "batch.wa.3x2x2" sample
    When the sample is delivered
    Then the fake Graph API receives exactly 12 replies
    And the metrics have moved by:
      | metric         | labels                        | change |
      | inbound_total  | channel=wa,outcome=processed  | 12     |
      | outbound_total | channel=wa,outcome=sent       | 12     |

  @T12.03 @P2-03 @P0-05 @needs-metrics @wa
  Scenario: A rejected signature is counted as rejected, not processed
    Given the metrics are read
    And a "wa.text" sample
    When the sample is delivered with a missing signature
    Then the gateway rejects the delivery
    And the metrics have moved by:
      | metric        | labels                         | change |
      | inbound_total | channel=wa,outcome=rejected    | 1      |
      | inbound_total | channel=wa,outcome=processed   | 0      |

  @T12.04 @P2-03 @needs-metrics
  Scenario: The metrics endpoint exposes the backlog's counters and latency histograms
    When the metrics endpoint is requested
    Then the endpoint answers 200
    And the metrics endpoint exposes:
      | metric              |
      | inbound_total       |
      | outbound_total      |
      | errors_total        |
      | ack_latency_seconds |
      | e2e_latency_seconds |
