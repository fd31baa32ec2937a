Feature: T10 timestamps from epoch seconds and milliseconds
  WhatsApp sends epoch seconds as strings; Messenger and Instagram send epoch milliseconds as
  numbers. The gateway turns either form, string or number, into ISO 8601 UTC and never loses
  a message over its unit.

  @T10.04 @P1-03
  Scenario Outline: A <channel> message stamped <form> is answered once
    Given a "<event>" sample
    And the sample timestamp is <timestamp>
    When the sample is delivered
    Then the gateway acknowledges with 200
    And the fake Graph API receives exactly 1 reply

    @wa
    Examples: WhatsApp
      | channel  | event   | form                    | timestamp        |
      | WhatsApp | wa.text | epoch seconds as string | "1767225600"     |
      | WhatsApp | wa.text | epoch seconds as number | 1767225600       |

    @ig
    Examples: Instagram
      | channel   | event   | form                         | timestamp         |
      | Instagram | ig.text | epoch milliseconds as number | 1767225600000     |
      | Instagram | ig.text | epoch milliseconds as string | "1767225600000"   |

    @msg
    Examples: Messenger
      | channel   | event    | form                         | timestamp     |
      | Messenger | msg.text | epoch milliseconds as number | 1767225600123 |
      | Messenger | msg.text | epoch seconds as number      | 1767225600    |

  @T10.05 @P1-03 @needs-admin
  Scenario Outline: A <channel> timestamp stamped <form> becomes ISO 8601 UTC in the canonical envelope
    Given a "<event>" sample
    And the sample timestamp is <timestamp>
    When the sample is delivered
    Then the gateway acknowledges with 200
    And the canonical envelope timestamp is "<iso>"

    @wa
    Examples: WhatsApp
      | channel  | event   | form                    | timestamp    | iso                  |
      | WhatsApp | wa.text | epoch seconds as string | "1767225600" | 2026-01-01T00:00:00Z |
      | WhatsApp | wa.text | epoch seconds as number | 1767225601   | 2026-01-01T00:00:01Z |

    @ig
    Examples: Instagram
      | channel   | event   | form                         | timestamp       | iso                      |
      | Instagram | ig.text | epoch milliseconds as number | 1767225600250   | 2026-01-01T00:00:00.250Z |
      | Instagram | ig.text | epoch milliseconds as string | "1767225600000" | 2026-01-01T00:00:00Z     |

    @msg
    Examples: Messenger
      | channel   | event    | form                         | timestamp     | iso                      |
      | Messenger | msg.text | epoch milliseconds as number | 1767225600123 | 2026-01-01T00:00:00.123Z |
      | Messenger | msg.text | epoch seconds as number      | 1767225602    | 2026-01-01T00:00:02Z     |
