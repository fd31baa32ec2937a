Feature: T5 dedupe and idempotency under redelivery
  Meta redelivers until it gets a 200 and may send duplicates to every subscribed app. The
  gateway dedupes on the message id, never on the bytes, and answers each message once.

  @T5.01 @P0-06
  Scenario Outline: A <channel> sample delivered again with the same bytes is answered once
    Given a "<event>" sample
    When the sample is delivered
    And the sample is delivered again with the same bytes
    Then every delivery is acknowledged with 200
    And the fake Graph API receives exactly 1 reply

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

  @T5.02 @P0-06
  Scenario Outline: A <channel> sample delivered again with re-serialised bytes is answered once
    Given a "<event>" sample
    When the sample is delivered
    And the sample is delivered again with re-serialised bytes
    Then every delivery is acknowledged with 200
    And the fake Graph API receives exactly 1 reply

    @wa
    Examples: WhatsApp
      | channel  | event   |
      | WhatsApp | wa.text |

    @msg
    Examples: Messenger
      | channel   | event    |
      | Messenger | msg.text |

  @T5.03 @P0-06 @wa
  Scenario: Five identical deliveries at once are answered once
    Given a "wa.text" sample
    When the sample is delivered 5 times at once
    Then every delivery is acknowledged with 200
    And the fake Graph API receives exactly 1 reply

  @T5.04 @P0-06
  Scenario: The same message id on Instagram and Messenger is two messages, answered twice
    Given a "msg.text" sample with:
      | path                            | value                                    |
      | entry.0.messaging.0.message.mid | m_T5-04-shared-id-1c9f2e7a4b6d8e0f3a5c7b9d |
    When the sample is delivered
    And a "ig.text" sample with:
      | path                            | value                                    |
      | entry.0.messaging.0.message.mid | m_T5-04-shared-id-1c9f2e7a4b6d8e0f3a5c7b9d |
    And the sample is delivered
    Then every delivery is acknowledged with 200
    And the fake Graph API receives exactly 2 replies

  @T5.05 @P0-06 @P1-01 @wa
  Scenario: A batch delivered again after a lost acknowledgement is answered once per message
    Given a "batch.wa.3x2x2" sample
    When the sample is delivered
    And the sample is delivered again with re-serialised bytes
    Then every delivery is acknowledged with 200
    And every message of the sample gets exactly one reply

  @T5.06 @P0-06 @P2-03 @needs-metrics
  Scenario Outline: A <channel> redelivery is counted as a duplicate, not quarantined
    Given the metrics are read
    And a "<event>" sample
    When the sample is delivered
    And the sample is delivered again with the same bytes
    Then the fake Graph API receives exactly 1 reply
    And the metrics have moved by:
      | metric        | labels                            | change |
      | inbound_total | channel=<code>,outcome=processed  | 1      |
      | inbound_total | channel=<code>,outcome=duplicate  | 1      |
      | inbound_total | channel=<code>,outcome=quarantined | 0      |

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

  @T5.07 @P0-06
  Scenario Outline: A <channel> <event> delivered again with re-serialised bytes is answered at most once
    Given a "<event>" sample
    When the sample is delivered
    And the sample is delivered again with re-serialised bytes
    Then every delivery is acknowledged with 200
    And the fake Graph API receives at most 1 reply

    @wa
    Examples: WhatsApp
      | channel  | event                       |
      | WhatsApp | wa.reaction                 |
      | WhatsApp | wa.interactive.button_reply |
      | WhatsApp | wa.interactive.list_reply   |
      | WhatsApp | wa.button                   |
      | WhatsApp | wa.order                    |

    @ig
    Examples: Instagram
      | channel   | event          |
      | Instagram | ig.postback    |
      | Instagram | ig.reaction    |
      | Instagram | ig.referral    |
      | Instagram | ig.quick_reply |
      | Instagram | ig.story_reply |
      | Instagram | ig.comment     |

    @msg
    Examples: Messenger
      | channel   | event                 |
      | Messenger | msg.postback          |
      | Messenger | msg.postback.referral |
      | Messenger | msg.reaction          |
      | Messenger | msg.referral          |
      | Messenger | msg.optin             |
      | Messenger | msg.quick_reply       |

  @T5.08 @P0-06
  Scenario Outline: A <channel> postback without a message id, delivered again, is answered at most once
    Given a "<event>" sample
    And the sample has no "entry.0.messaging.0.postback.mid"
    When the sample is delivered
    And the sample is delivered again with re-serialised bytes
    Then every delivery is acknowledged with 200
    And the fake Graph API receives at most 1 reply

    @ig
    Examples: Instagram
      | channel   | event       |
      | Instagram | ig.postback |

    @msg
    Examples: Messenger
      | channel   | event        |
      | Messenger | msg.postback |
