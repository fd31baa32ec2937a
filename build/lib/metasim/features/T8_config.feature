Feature: T8 configuration and preflight
  In production no send URL has a default (the old mock-api defaults failed silently), and
  preflight lists every configuration problem at once, exiting 1. Each setting is named; the
  target maps it to its gateway's own variables ([settings.NAME] in the target file).

  @T8.12 @P0-04 @needs-restart
  Scenario: In prod the gateway refuses to start without the send URLs
    When the gateway is started with the "production-without-send-urls" setting
    Then the gateway refuses to start, naming the setting's variables

  @T8.13 @P0-04 @reference @needs-restart
  Scenario: In prod the gateway refuses a send URL that points at a local mock
    When the gateway is started with the "production-with-mock-send-url" setting
    Then the gateway refuses to start, naming the setting's variables

  @T8.14 @P1-05 @needs-preflight
  Scenario: Preflight exits 1 and names every production problem at once
    When preflight runs with the "production-with-problems" setting
    Then preflight exits with 1, naming the setting's variables

  @T8.15 @P1-05 @needs-preflight
  Scenario: Preflight exits 0 for the suite's test configuration
    When preflight runs with the suite's settings
    Then preflight exits with 0
