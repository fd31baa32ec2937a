Feature: T9 outbox retries and dead-letter queue
  A reply that Graph refuses is retried with backoff when the error is temporary, sent to the
  dead-letter queue when it is permanent or after OUTBOX_MAX_ATTEMPTS (3 in the suite), and
  replayed by the scheduled DLQ handler or the admin API. Each message gets exactly one reply.

  @T9.01 @P1-06 @wa
  Scenario: A reply refused twice by a temporary outage is retried and sent once
    Given the fake Graph API fails the next 2 sends with temporary outage
    And a "wa.text" sample
    When the sample is delivered
    Then the gateway acknowledges with 200
    And the fake Graph API sees 3 send attempts
    And the fake Graph API accepts exactly 1 reply

  @T9.02 @P1-06 @wa
  Scenario: A throughput limit is retried no sooner than its Retry-After
    Given the fake Graph API fails the next send with throughput limit
    And a "wa.text" sample
    When the sample is delivered
    Then the fake Graph API accepts exactly 1 reply
    And the retry waits at least the Retry-After delay

  @T9.03 @P1-06 @needs-dead-letters @wa
  Scenario: A reply still refused after the maximum attempts is dead-lettered
    Given the fake Graph API fails every send with temporary outage
    And a "wa.text" sample
    When the sample is delivered
    Then the fake Graph API sees 3 send attempts
    And the reply is dead-lettered

  @T9.04 @P1-06 @needs-dead-letters
  Scenario Outline: A <fault> from Graph is not retried and goes straight to the dead-letter queue
    Given the fake Graph API fails every send with <fault>
    And a "<event>" sample
    When the sample is delivered
    Then the fake Graph API sees 1 send attempts
    And the reply is dead-lettered

    @wa
    Examples: WhatsApp
      | fault                   | event   |
      | invalid parameter       | wa.text |
      | undeliverable recipient | wa.text |

    @msg
    Examples: Messenger
      | fault         | event    |
      | expired token | msg.text |

    @ig
    Examples: Instagram
      | fault         | event   |
      | expired token | ig.text |

  @T9.05 @P1-06 @needs-restart @needs-dead-letters @wa
  Scenario: The scheduled DLQ handler replays a dead-lettered reply once Graph recovers
    Given the gateway runs with the "dlq-replay-every-second" setting
    And the fake Graph API fails every send with temporary outage
    And a "wa.text" sample
    When the sample is delivered
    Then the reply is dead-lettered
    When the fake Graph API recovers
    Then the fake Graph API accepts exactly 1 reply

  @T9.06 @P1-06 @needs-admin @msg
  Scenario: The admin API replays a dead-lettered reply exactly once
    Given the fake Graph API fails every send with temporary outage
    And a "msg.text" sample
    When the sample is delivered
    Then the reply is dead-lettered
    When the fake Graph API recovers
    And the dead-letter queue is replayed through the admin API
    Then the fake Graph API accepts exactly 1 reply
