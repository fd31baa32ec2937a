Feature: T2 native parsing and canonicalisation
  The gateway reads Meta's native webhooks for WhatsApp, Instagram and Messenger, turns every
  user message into one canonical envelope and answers it exactly once on the fake Graph API.
  The suite's tenants answer with an echo rule: the reply repeats the inbound text, or names
  the message type in brackets when the message has no text.

  @T2.01 @P0-01 @wa
  Scenario: A WhatsApp text message is answered once, to its sender
    Given a "wa.text" sample
    And the sample text is "Bonjour, je voudrais connaître vos horaires d'ouverture samedi."
    When the sample is delivered
    Then the gateway acknowledges with 200
    And the reply goes to the sender of the sample
    And the reply text is "Bonjour, je voudrais connaître vos horaires d'ouverture samedi."

  @T2.02 @P0-01 @wa
  Scenario: A WhatsApp image is canonicalised with its caption as text
    Given a "wa.image" sample with:
      | path                                                 | value                         |
      | entry.0.changes.0.value.messages.0.image.caption     | Voici la photo du colis abîmé |
    When the sample is delivered
    Then the gateway acknowledges with 200
    And the reply text is "Voici la photo du colis abîmé"

  @T2.03 @P0-01 @wa
  Scenario: A WhatsApp voice note is answered as an audio message
    Given a "wa.audio.voice" sample
    When the sample is delivered
    Then the gateway acknowledges with 200
    And the reply goes to the sender of the sample
    And the reply text is "[audio]"

  @T2.04 @P0-01 @wa
  Scenario: A WhatsApp interactive button reply is answered with the chosen button
    Given a "wa.interactive.button_reply" sample with:
      | path                                                                   | value        |
      | entry.0.changes.0.value.messages.0.interactive.button_reply.id         | slot-sat-10h |
      | entry.0.changes.0.value.messages.0.interactive.button_reply.title      | Samedi 10h   |
    When the sample is delivered
    Then the gateway acknowledges with 200
    And the reply text is one of:
      | text         |
      | Samedi 10h   |
      | slot-sat-10h |

  @T2.05 @P0-01 @wa
  Scenario: A WhatsApp shared location is answered with the place name
    Given a "wa.location" sample with:
      | path                                               | value                |
      | entry.0.changes.0.value.messages.0.location.name   | Gare de Lyon, Paris  |
    When the sample is delivered
    Then the gateway acknowledges with 200
    And the reply text is one of:
      | text                |
      | Gare de Lyon, Paris |
      | [location]          |

  @T2.06 @P0-01 @P1-02 @wa
  Scenario Outline: A WhatsApp <status> status is acknowledged and ignored
    Given a "wa.status.<status>" sample
    When the sample is delivered
    Then the gateway acknowledges with 200
    And the fake Graph API receives no reply

    Examples:
      | status    |
      | sent      |
      | delivered |
      | read      |
      | failed    |

  @T2.07 @P0-02 @ig
  Scenario: An Instagram text message is answered once, to its sender
    Given a "ig.text" sample
    And the sample text is "Hello! Is the blue jacket still available in size M?"
    When the sample is delivered
    Then the gateway acknowledges with 200
    And the reply goes to the sender of the sample
    And the reply text is "Hello! Is the blue jacket still available in size M?"

  @T2.08 @P0-02 @ig
  Scenario Outline: An Instagram <kind> is canonicalised and answered once
    Given a "<event>" sample
    When the sample is delivered
    Then the gateway acknowledges with 200
    And the fake Graph API receives exactly 1 reply
    And the reply goes to the sender of the sample

    Examples:
      | kind        | event           |
      | postback    | ig.postback     |
      | story reply | ig.story_reply  |
      | image       | ig.image        |
      | video       | ig.video        |

  @T2.09 @P0-03 @msg
  Scenario: A Messenger text message is answered once, to its sender
    Given a "msg.text" sample
    And the sample text is "Bonsoir, ma commande n°48213 n'est pas arrivée."
    When the sample is delivered
    Then the gateway acknowledges with 200
    And the reply goes to the sender of the sample
    And the reply text is "Bonsoir, ma commande n°48213 n'est pas arrivée."

  @T2.10 @P0-03 @msg
  Scenario: A Messenger postback is answered with its payload or title
    Given a "msg.postback" sample with:
      | path                               | value              |
      | entry.0.messaging.0.postback.payload | TRACK_ORDER        |
      | entry.0.messaging.0.postback.title   | Suivre ma commande |
    When the sample is delivered
    Then the gateway acknowledges with 200
    And the reply text is one of:
      | text               |
      | TRACK_ORDER        |
      | Suivre ma commande |

  @T2.11 @P0-03 @msg
  Scenario Outline: A Messenger <kind> attachment is answered once
    Given a "<event>" sample
    When the sample is delivered
    Then the gateway acknowledges with 200
    And the fake Graph API receives exactly 1 reply
    And the reply goes to the sender of the sample

    Examples:
      | kind  | event     |
      | image | msg.image |
      | audio | msg.audio |
      | file  | msg.file  |

  @T2.12 @P1-01
  Scenario Outline: Every message of a <channel> multi-entry batch is answered once
    Given a "<event>" sample
    When the sample is delivered
    Then the gateway acknowledges with 200
    And every message of the sample gets exactly one reply

    @wa
    Examples: WhatsApp
      | channel  | event          |
      | WhatsApp | batch.wa.3x2x2 |

    @ig
    Examples: Instagram
      | channel   | event                |
      | Instagram | batch.ig.multi_entry |

    @msg
    Examples: Messenger
      | channel   | event                 |
      | Messenger | batch.msg.multi_entry |

  @T2.13 @P0-01 @wa
  Scenario Outline: A WhatsApp <event> in the BSUID dialect is answered to the business-scoped user id
    Given a "<event>" sample in the BSUID dialect
    When the sample is delivered
    Then the gateway acknowledges with 200
    And the reply goes to the sender of the sample

    Examples:
      | event      |
      | wa.text    |
      | wa.image   |

  @T2.14 @P1-02
  Scenario Outline: A <channel> echo of the business's own message is acknowledged and ignored
    Given a "<event>" sample
    When the sample is delivered
    Then the gateway acknowledges with 200
    And the fake Graph API receives no reply

    @ig
    Examples: Instagram
      | channel   | event   |
      | Instagram | ig.echo |

    @msg
    Examples: Messenger
      | channel   | event    |
      | Messenger | msg.echo |

  @T2.15 @P1-01 @P1-02 @wa
  Scenario: A WhatsApp batch mixing messages and statuses answers only the messages
    Given a "batch.wa.mixed" sample
    When the sample is delivered
    Then the gateway acknowledges with 200
    And every message of the sample gets exactly one reply

  @T2.16 @P1-02
  Scenario Outline: A <channel> <kind> receipt is acknowledged and ignored
    Given a "<event>" sample
    When the sample is delivered
    Then the gateway acknowledges with 200
    And the fake Graph API receives no reply

    @ig
    Examples: Instagram
      | channel   | kind | event   |
      | Instagram | read | ig.read |

    @msg
    Examples: Messenger
      | channel   | kind     | event        |
      | Messenger | read     | msg.read     |
      | Messenger | delivery | msg.delivery |

  @T2.17 @P0-01 @wa
  Scenario Outline: Every other WhatsApp message type is answered once
    Given a "<event>" sample
    When the sample is delivered
    Then the gateway acknowledges with 200
    And the fake Graph API receives exactly 1 reply
    And the reply goes to the sender of the sample

    Examples:
      | event                       |
      | wa.video                    |
      | wa.document                 |
      | wa.sticker                  |
      | wa.contacts                 |
      | wa.interactive.list_reply   |
      | wa.button                   |
      | wa.reaction                 |
      | wa.order                    |
      | wa.text.reply               |

  @T2.18 @P0-01 @P0-02 @P0-03 @needs-admin
  Scenario Outline: A <channel> text becomes a canonical envelope with the backlog's fields
    Given a "<event>" sample
    And the sample text is "Vous livrez à Lyon le samedi ?"
    When the sample is delivered
    Then the gateway acknowledges with 200
    And the canonical envelope has:
      | field    | value                          |
      | provider | <provider>                     |
      | type     | text                           |
      | text     | Vous livrez à Lyon le samedi ? |

    @wa
    Examples: WhatsApp
      | channel  | event   | provider |
      | WhatsApp | wa.text | wa       |

    @ig
    Examples: Instagram
      | channel   | event   | provider |
      | Instagram | ig.text | ig       |

    @msg
    Examples: Messenger
      | channel   | event    | provider |
      | Messenger | msg.text | msg      |

  @T2.19 @P1-02
  Scenario Outline: A <channel> <event> is not a message to answer: acknowledged, never answered
    Given a "<event>" sample
    When the sample is delivered
    Then the gateway acknowledges with 200
    And the fake Graph API receives no reply

    @wa
    Examples: WhatsApp
      | channel  | event                           |
      | WhatsApp | wa.status.sent                  |
      | WhatsApp | wa.status.sent.v23              |
      | WhatsApp | wa.status.delivered             |
      | WhatsApp | wa.status.delivered.cbp         |
      | WhatsApp | wa.status.read                  |
      | WhatsApp | wa.status.played                |
      | WhatsApp | wa.status.failed                |
      | WhatsApp | wa.reaction.removed             |
      | WhatsApp | wa.reaction.removed.empty_emoji |
      | WhatsApp | wa.system                       |
      | WhatsApp | wa.errors                       |
      | WhatsApp | wa.account.update |
      | WhatsApp | wa.calls |
      | WhatsApp | wa.history |
      | WhatsApp | wa.phone.name |
      | WhatsApp | wa.phone.quality |
      | WhatsApp | wa.request_welcome |
      | WhatsApp | wa.security |
      | WhatsApp | wa.smb_app_state_sync |
      | WhatsApp | wa.smb_message_echoes |
      | WhatsApp | wa.status.delivered.group |
      | WhatsApp | wa.system.user_changed_user_id |
      | WhatsApp | wa.template.category |
      | WhatsApp | wa.template.quality |
      | WhatsApp | wa.template.status |
      | WhatsApp | wa.template.status.paused |
      | WhatsApp | wa.text.group |
      | WhatsApp | wa.user_preferences |

    @ig
    Examples: Instagram
      | channel   | event      |
      | Instagram | ig.read    |
      | Instagram | ig.echo    |
      | Instagram | ig.edit    |
      | Instagram | ig.deleted |
      | Instagram | ig.unreact |
      | Instagram | ig.mention |
      | Instagram | ig.is_self |

    @msg
    Examples: Messenger
      | channel   | event        |
      | Messenger | msg.read     |
      | Messenger | msg.delivery |
      | Messenger | msg.echo     |
      | Messenger | msg.edit     |
      | Messenger | msg.standby  |
      | Messenger | msg.delivery.no_mids |

  @T2.20 @P0-01 @P0-02 @P0-03
  Scenario Outline: A <channel> <event> is answered with what the user wrote or chose
    Given a "<event>" sample
    When the sample is delivered
    Then the gateway acknowledges with 200
    And the reply text is the content of the sample's message

    @wa
    Examples: WhatsApp
      | channel  | event                       |
      | WhatsApp | wa.interactive.list_reply   |
      | WhatsApp | wa.interactive.button_reply |
      | WhatsApp | wa.button                   |
      | WhatsApp | wa.image                    |
      | WhatsApp | wa.video                    |
      | WhatsApp | wa.document                 |

    @ig
    Examples: Instagram
      | channel   | event          |
      | Instagram | ig.quick_reply |

    @msg
    Examples: Messenger
      | channel   | event           |
      | Messenger | msg.quick_reply |

  @T2.21 @P0-01 @P0-02 @P0-03
  Scenario Outline: A <channel> <event> is answered exactly once, to its sender
    Given a "<event>" sample
    When the sample is delivered
    Then the gateway acknowledges with 200
    And the fake Graph API receives exactly 1 reply

    @wa
    Examples: WhatsApp
      | channel | event |
      | WhatsApp | wa.audio |
      | WhatsApp | wa.image.no_url |
      | WhatsApp | wa.interactive.list_reply.no_description |
      | WhatsApp | wa.interactive.missing_object |
      | WhatsApp | wa.interactive.nfm_reply |
      | WhatsApp | wa.location.current |
      | WhatsApp | wa.sticker.animated |
      | WhatsApp | wa.text.forwarded |
      | WhatsApp | wa.text.frequently_forwarded |
      | WhatsApp | wa.text.referral |
      | WhatsApp | wa.text.referral.status_video |
      | WhatsApp | wa.text.referred_product |
      | WhatsApp | wa.unsupported |
      | WhatsApp | wa.unsupported.no_object |

    @ig
    Examples: Instagram
      | channel | event |
      | Instagram | ig.audio |
      | Instagram | ig.comment |
      | Instagram | ig.comment.ig_login |
      | Instagram | ig.file |
      | Instagram | ig.ig_post |
      | Instagram | ig.ig_reel |
      | Instagram | ig.reply |
      | Instagram | ig.share |
      | Instagram | ig.share.transition |
      | Instagram | ig.story_mention |
      | Instagram | ig.text.ad_referral |
      | Instagram | ig.text.non_ascii |
      | Instagram | ig.unsupported |

    @msg
    Examples: Messenger
      | channel | event |
      | Messenger | msg.fallback |
      | Messenger | msg.fallback.no_payload |
      | Messenger | msg.ig_post |
      | Messenger | msg.ig_reel |
      | Messenger | msg.post |
      | Messenger | msg.reel |
      | Messenger | msg.referral.ads |
      | Messenger | msg.reply |
      | Messenger | msg.sticker |
      | Messenger | msg.sticker.legacy |
      | Messenger | msg.sticker.transition |
      | Messenger | msg.template |
      | Messenger | msg.text.ad_referral |
      | Messenger | msg.text.command |
      | Messenger | msg.text.non_ascii |
      | Messenger | msg.video |

  @T2.22 @P1-01 @wa
  Scenario Outline: Every message of a WhatsApp <event> batch is answered once
    Given a "<event>" sample
    When the sample is delivered
    Then the gateway acknowledges with 200
    And every message of the sample gets exactly one reply

    Examples:
      | event |
      | batch.wa.types |

  @T2.23 @P0-01 @wa
  Scenario Outline: A WhatsApp <event> in the <dialect> dialect is answered once, to its sender
    Given a "<event>" sample in the <dialect> dialect
    When the sample is delivered
    Then the gateway acknowledges with 200
    And the reply goes to the sender of the sample

    Examples:
      | event | dialect |
      | wa.audio | BSUID |
      | wa.audio | classic |
      | wa.audio.voice | BSUID |
      | wa.audio.voice | classic |
      | wa.button | BSUID |
      | wa.button | classic |
      | wa.contacts | BSUID |
      | wa.contacts | classic |
      | wa.document | BSUID |
      | wa.document | classic |
      | wa.image | classic |
      | wa.image.no_url | BSUID |
      | wa.image.no_url | classic |
      | wa.interactive.button_reply | BSUID |
      | wa.interactive.button_reply | classic |
      | wa.interactive.list_reply | BSUID |
      | wa.interactive.list_reply | classic |
      | wa.interactive.list_reply.no_description | BSUID |
      | wa.interactive.list_reply.no_description | classic |
      | wa.interactive.missing_object | BSUID |
      | wa.interactive.missing_object | classic |
      | wa.interactive.nfm_reply | BSUID |
      | wa.interactive.nfm_reply | classic |
      | wa.location | BSUID |
      | wa.location | classic |
      | wa.location.current | BSUID |
      | wa.location.current | classic |
      | wa.order | BSUID |
      | wa.order | classic |
      | wa.reaction | BSUID |
      | wa.reaction | classic |
      | wa.sticker | BSUID |
      | wa.sticker | classic |
      | wa.sticker.animated | BSUID |
      | wa.sticker.animated | classic |
      | wa.text | classic |
      | wa.text.forwarded | BSUID |
      | wa.text.forwarded | classic |
      | wa.text.frequently_forwarded | BSUID |
      | wa.text.frequently_forwarded | classic |
      | wa.text.non_ascii | BSUID |
      | wa.text.non_ascii | classic |
      | wa.text.referral | BSUID |
      | wa.text.referral | classic |
      | wa.text.referral.status_video | BSUID |
      | wa.text.referral.status_video | classic |
      | wa.text.referred_product | BSUID |
      | wa.text.referred_product | classic |
      | wa.text.reply | BSUID |
      | wa.text.reply | classic |
      | wa.unsupported | BSUID |
      | wa.unsupported | classic |
      | wa.unsupported.no_object | BSUID |
      | wa.unsupported.no_object | classic |
      | wa.video | BSUID |
      | wa.video | classic |

  @T2.24 @P1-02 @wa
  Scenario Outline: A WhatsApp <event> in the <dialect> dialect is acknowledged and never answered
    Given a "<event>" sample in the <dialect> dialect
    When the sample is delivered
    Then the gateway acknowledges with 200
    And the fake Graph API receives no reply

    Examples:
      | event | dialect |
      | wa.reaction.removed | BSUID |
      | wa.reaction.removed | classic |
      | wa.reaction.removed.empty_emoji | BSUID |
      | wa.reaction.removed.empty_emoji | classic |
      | wa.request_welcome | BSUID |
      | wa.request_welcome | classic |
      | wa.status.delivered | BSUID |
      | wa.status.delivered | classic |
      | wa.status.failed | BSUID |
      | wa.status.failed | classic |
      | wa.status.played | BSUID |
      | wa.status.played | classic |
      | wa.status.read | BSUID |
      | wa.status.read | classic |
      | wa.status.sent | BSUID |
      | wa.status.sent | classic |
      | wa.system | classic |
      | wa.text.group | BSUID |
      | wa.text.group | classic |

  @T2.25 @P1-01 @wa
  Scenario Outline: Every message of a WhatsApp <event> batch in the <dialect> dialect is answered once
    Given a "<event>" sample in the <dialect> dialect
    When the sample is delivered
    Then the gateway acknowledges with 200
    And every message of the sample gets exactly one reply

    Examples:
      | event | dialect |
      | batch.wa.3x2x2 | BSUID |
      | batch.wa.3x2x2 | classic |
      | batch.wa.mixed | BSUID |
      | batch.wa.mixed | classic |
      | batch.wa.types | BSUID |
      | batch.wa.types | classic |

  @T2.26 @P1-01 @heavy @wa
  Scenario Outline: Every message of a WhatsApp batch at Meta's 1000-update limit is answered once, in the <dialect> dialect
    Given a "batch.wa.1000" sample in the <dialect> dialect
    When the sample is delivered
    Then the gateway acknowledges with 200
    And every message of the sample gets exactly one reply

    Examples:
      | dialect |
      | dual    |
      | classic |
      | BSUID   |
