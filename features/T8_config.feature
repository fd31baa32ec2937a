Feature: T8 configuration and preflight
  In production no send URL has a default (the old mock-api defaults failed silently), and
  preflight lists every configuration problem at once, exiting 1.

  @T8.12 @P0-04 @needs-restart
  Scenario: In prod the gateway refuses to start without the send URLs
    When the gateway is started with settings:
      | name          | value    |
      | GATEWAY_ENV   | prod     |
      | WA_SEND_URL   | (unset)  |
      | IG_SEND_URL   | (unset)  |
      | MSG_SEND_URL  | (unset)  |
    Then the gateway refuses to start, naming:
      | name         |
      | WA_SEND_URL  |
      | IG_SEND_URL  |
      | MSG_SEND_URL |

  @T8.13 @P0-04 @needs-restart
  Scenario: In prod the gateway refuses a send URL that points at a local mock
    When the gateway is started with settings:
      | name          | value                                |
      | GATEWAY_ENV   | prod                                 |
      | WA_SEND_URL   | http://mock-api:8080/send/wa          |
      | IG_SEND_URL   | https://graph.facebook.com/v25.0     |
      | MSG_SEND_URL  | https://graph.facebook.com/v25.0     |
    Then the gateway refuses to start, naming:
      | name        |
      | WA_SEND_URL |

  @T8.14 @P1-05 @needs-preflight
  Scenario: Preflight exits 1 and names every production problem at once
    When preflight runs with settings:
      | name                    | value   |
      | GATEWAY_ENV             | prod    |
      | META_APP_SECRET         | (unset) |
      | WA_SEND_URL             | (unset) |
      | MSG_SEND_URL            | (unset) |
      | META_SIGNATURE_REQUIRED | off     |
    Then preflight exits with 1, naming:
      | name                    |
      | META_APP_SECRET         |
      | WA_SEND_URL             |
      | MSG_SEND_URL            |
      | META_SIGNATURE_REQUIRED |

  @T8.15 @P1-05 @needs-preflight
  Scenario: Preflight exits 0 for the suite's test configuration
    When preflight runs with settings:
      | name        | value |
      | GATEWAY_ENV | test  |
    Then preflight exits with 0
