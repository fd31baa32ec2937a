Feature: T14 operations: health, readiness, handshake after restart
  Monitoring reads /health (200 "OK") and /ready (store and workers alive); the verification
  handshake and the inbox survive a restart.

  @T14.05 @P1-04 @needs-health
  Scenario: The health endpoint answers 200 OK
    When the health endpoint is requested
    Then the endpoint answers 200
    And the endpoint body is "OK"

  @T14.01 @P1-04 @needs-ready
  Scenario: The readiness endpoint answers 200 while the store and workers are alive
    When the readiness endpoint is requested
    Then the endpoint answers 200

  @T14.02 @needs-restart @needs-handshake @wa
  Scenario: The handshake still echoes the challenge after a restart
    When the gateway restarts
    And Meta verifies the WhatsApp webhook with the right verify token
    Then the gateway answers 200 with the challenge

  @T14.03 @needs-restart
  Scenario Outline: A <channel> message delivered after a restart is answered once
    Given a "<event>" sample
    When the gateway restarts
    And the sample is delivered
    Then the gateway acknowledges with 200
    And the fake Graph API receives exactly 1 reply

    @msg
    Examples: Messenger
      | channel   | event    |
      | Messenger | msg.text |

    @ig
    Examples: Instagram
      | channel   | event   |
      | Instagram | ig.text |

  @T14.04 @P2-05 @needs-backup
  Scenario: A backup writes a new snapshot and keeps seven days of them
    Given backups taken 8 and 6 days ago
    When the backup command runs
    Then the backup command exits 0 and a new snapshot exists
    And the snapshot from 8 days ago is pruned
    And the snapshot from 6 days ago is kept
