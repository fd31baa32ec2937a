Feature: Our bot's own checks
  Written by QA without Python, on metasim's step library (docs/writing-scenarios.md).

  @OUR.01 @wa
  Scenario: A customer's greeting is echoed back to them
    Given a "wa.text" sample
    And the sample text is "Bonjour !"
    When the sample is delivered
    Then the gateway acknowledges with 200
    And the fake Graph API receives exactly 1 reply
    And the reply goes to the sender of the sample
    And the reply text is "Bonjour !"
