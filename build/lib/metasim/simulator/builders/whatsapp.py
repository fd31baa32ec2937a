"""WhatsApp Cloud API webhooks: catalogue samples made fresh (ids, sender, clock, tenant, dialect)."""

from __future__ import annotations

import base64
import copy
import hashlib
import json
import re
import unicodedata
from collections.abc import Iterable, Mapping
from functools import cache
from pathlib import Path
from typing import Any

from faker import Faker

from metasim.simulator.context import BuildContext

# https://developers.facebook.com/documentation/business-messaging/whatsapp/webhooks/reference/messages
Payload = dict[str, Any]

SAMPLES_FILE = Path(__file__).parents[2] / "payloads" / "samples" / "whatsapp.json"
# "dual" (the default) is today's payload: phone and BSUID side by side; "classic" is phone only
# (payloads before 2026), "bsuid" a username user whose phone is withheld (docs/meta-contract.md).
DIALECTS = ("dual", "classic", "bsuid")
DEFAULT_DIALECT = "dual"
STATUSES = ("sent", "delivered", "read", "played", "failed")
MEDIA_TYPES = ("image", "audio", "video", "document", "sticker")
# Keys message_payload() sets on the message itself; any other field goes into the type object.
MESSAGE_KEYS = frozenset({"id", "timestamp", "from", "context", "referral", "errors"})
LOOKASIDE = "https://lookaside.fbsbx.com/whatsapp_business/attachments/"
BSUID_RE = re.compile(r"^[A-Z]{2}\.(ENT\.)?[A-Za-z0-9]{1,128}$")
# Calling code of a refreshed phone -> the ISO country a BSUID starts with (docs/meta-contract.md §k).
COUNTRY_BY_CODE = {
    "1": "US",
    "33": "FR",
    "44": "GB",
    "49": "DE",
    "34": "ES",
    "55": "BR",
    "91": "IN",
}
# A conversation lasts 24 h: expiration_timestamp on v23 `sent` statuses is that far ahead.
CONVERSATION_SECONDS = 24 * 3600


@cache
def _samples() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(SAMPLES_FILE.read_text(encoding="utf-8"))
    return data


@cache
def _name_parts(locale: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """First and last names drawn once per locale from a fixed-seed Faker.

    Faker's ``name()`` costs ~150 µs (weighted formats): most of a refresh. Picking from these
    pools with the context's rng keeps names realistic and seeded output reproducible.
    """
    faker = Faker(locale)
    faker.seed_instance(20251013)
    firsts = tuple(sorted({faker.first_name() for _ in range(300)}))
    lasts = tuple(sorted({faker.last_name() for _ in range(300)}))
    return firsts, lasts


def profile_name(ctx: BuildContext) -> str:
    """A realistic "First Last" profile name in the context's locale."""
    firsts, lasts = _name_parts(ctx.locale)
    return f"{ctx.rng.choice(firsts)} {ctx.rng.choice(lasts)}"


def _copy(payload: Mapping[str, Any]) -> Payload:
    # A JSON round trip copies a JSON document ~3x faster than copy.deepcopy.
    fresh: Payload = json.loads(json.dumps(payload))
    return fresh


def names() -> list[str]:
    """Every WhatsApp sample name of payloads/samples/whatsapp.json, sorted."""
    return sorted(n for n in _samples() if n.startswith("wa."))


def sample(name: str) -> Payload:
    """A deep copy of the raw payload of sample ``name`` (no refresh)."""
    if name not in _samples():
        raise ValueError(f"no WhatsApp sample {name!r}; known: {', '.join(names())}")
    return _copy(_samples()[name]["payload"])


def _check_dialect(dialect: str) -> None:
    if dialect not in DIALECTS:
        raise ValueError(f"unknown WhatsApp dialect {dialect!r}; allowed: {', '.join(DIALECTS)}")


def is_bsuid(value: str) -> bool:
    """True when ``value`` is a business-scoped user id (``US.1349...``) rather than a phone."""
    return bool(BSUID_RE.match(value))


def bsuid_of(phone: str, business: str) -> str:
    """The business-scoped user id of ``phone`` for ``business``: stable, so the dual-form
    messages and the statuses of one user name the same id, as Meta's do (§k).

    ``CC.<20 digits>``: CC is the country of the calling code (US when unknown), the digits
    a hash of business and phone (a real BSUID reveals neither).
    """
    digits = "".join(ch for ch in phone if ch.isdigit())
    code = next(
        (c for c in sorted(COUNTRY_BY_CODE, key=len, reverse=True) if digits.startswith(c)), "1"
    )
    hashed = hashlib.sha256(f"{business}:{digits}".encode()).digest()
    return f"{COUNTRY_BY_CODE[code]}.{int.from_bytes(hashed[:9], 'big') % 10**20:020d}"


class _Ids:
    """Old id -> fresh id maps, so one sample's cross references (context.id, wa_id = from) survive."""

    def __init__(self, ctx: BuildContext) -> None:
        self.ctx = ctx
        self.wamids: dict[str, str] = {}
        self.users: dict[str, tuple[str, str]] = {}  # old phone or bsuid -> (new id, profile name)
        self.bsuids: dict[str, tuple[str, str]] = {}  # new phone -> (bsuid, username)

    def wamid(self, old: str) -> str:
        if old not in self.wamids:
            self.wamids[old] = self.ctx.wamid()
        return self.wamids[old]

    def user(self, old: str) -> tuple[str, str]:
        if old not in self.users:
            new = self.ctx.bsuid(old.split(".")[0]) if is_bsuid(old) else self.ctx.wa_phone()
            self.users[old] = (new, profile_name(self.ctx))
        return self.users[old]

    def bsuid(self, phone: str, name: str = "") -> tuple[str, str]:
        if phone not in self.bsuids:
            self.bsuids[phone] = (bsuid_of(phone, self.ctx.tenant.waba_id), self._username(name))
        return self.bsuids[phone]

    def _username(self, name: str) -> str:
        # Meta publishes no user-username example beyond "<USERNAME>" (§k) and third-party ones
        # vary ("@bob", "johnSmith"): lowercase ascii words joined by dots, plus two digits.
        folded = unicodedata.normalize("NFKD", name or profile_name(self.ctx))
        words = re.findall(r"[a-z]+", folded.encode("ascii", "ignore").decode().lower())
        return f"{'.'.join(words) or 'user'}{self.ctx.rng.randint(10, 99)}"


def _media_url(media_id: str, ctx: BuildContext) -> str:
    """A lookaside link as in incoming media webhooks since late 2025 (docs/meta-contract.md §a)."""
    token = base64.urlsafe_b64encode(ctx.rng.randbytes(18)).decode("ascii").rstrip("=")
    return f"{LOOKASIDE}?mid={media_id}&ext={ctx.epoch_seconds() + 3600}&hash={token}"


def _refresh_message(message: dict[str, Any], ids: _Ids, old_display: str | None, now: str) -> None:
    ctx = ids.ctx
    message["id"] = ids.wamid(str(message.get("id", "")))
    message["timestamp"] = now
    old_from = str(message.get("from", ""))
    if "from" in message:
        message["from"] = ids.user(str(message["from"]))[0]
    if "from_user_id" in message:
        message["from_user_id"] = ids.user(str(message["from_user_id"]))[0]
    context = message.get("context")
    if isinstance(context, dict):
        if "id" in context:
            context["id"] = ids.wamid(str(context["id"]))
        if context.get("from") == old_display:
            context["from"] = ctx.tenant.display_phone_number
        elif "from" in context:
            context["from"] = ids.user(str(context["from"]))[0]
    reaction = message.get("reaction")
    if isinstance(reaction, dict) and "message_id" in reaction:
        reaction["message_id"] = ids.wamid(str(reaction["message_id"]))
    for kind in MEDIA_TYPES:
        media = message.get(kind)
        if isinstance(media, dict):
            media["id"] = ctx.media_id()
            media["sha256"] = ctx.sha256_b64()
            if "url" in media:  # payloads from before late 2025 carry no url
                media["url"] = _media_url(media["id"], ctx)
    system = message.get("system")
    if isinstance(system, dict):
        body = str(system.get("body", ""))
        for key in ("wa_id", "new_wa_id"):  # the user's new number
            if key in system:
                old_number, system[key] = str(system[key]), ctx.wa_phone()
                body = body.replace(old_number, system[key])
        if old_from and "from" in message:
            body = body.replace(old_from, str(message["from"]))
        if "body" in system:
            system["body"] = body
        for key in ("user_id", "previous_user_id", "parent_user_id"):
            if key in system:
                system[key] = ids.user(str(system[key]))[0]


def _refresh_other_fields(value: dict[str, Any], ids: _Ids, old_display: str | None) -> None:
    """The user and business ids inside the non-``messages`` fields (user_preferences, echoes ...)."""
    ctx, now = ids.ctx, str(ids.ctx.epoch_seconds())

    def party(old: Any) -> str:
        if old == old_display:
            return ctx.tenant.display_phone_number
        return ids.user(str(old))[0]

    if "display_phone_number" in value:  # phone_number_quality_update, security, name update
        value["display_phone_number"] = ctx.tenant.display_phone_number
    for pref in value.get("user_preferences", []):
        pref["wa_id"] = party(pref["wa_id"])
        pref["timestamp"] = int(now)
    for item in [*value.get("message_echoes", []), *value.get("calls", [])]:
        item["from"], item["to"] = party(item["from"]), party(item["to"])
        item["timestamp"] = now
        if str(item.get("id", "")).startswith("wamid."):
            item["id"] = ids.wamid(str(item["id"]))
    for sync in value.get("state_sync", []):
        contact = sync.get("contact", {})
        if "phone_number" in contact:
            contact["phone_number"] = party(contact["phone_number"])
        sync.setdefault("metadata", {})["timestamp"] = now
    for chunk in value.get("history", []):
        for thread in chunk.get("threads", []):
            thread["id"] = party(thread["id"])
            for message in thread.get("messages", []):
                message["id"] = ids.wamid(str(message.get("id", "")))
                if "from" in message:
                    message["from"] = party(message["from"])


def _refresh_status(status: dict[str, Any], ids: _Ids, now: str) -> None:
    status["id"] = ids.wamid(str(status.get("id", "")))
    status["timestamp"] = now
    group = status.get("recipient_type") == "group"  # recipient_id is then the group's id
    for key in ("recipient_participant_id",) if group else ("recipient_id", "recipient_user_id"):
        if key in status:
            status[key] = ids.user(str(status[key]))[0]
    conversation = status.get("conversation")
    if isinstance(conversation, dict):
        if "id" in conversation:
            conversation["id"] = ids.ctx.rng.randbytes(16).hex()
        if "expiration_timestamp" in conversation:
            conversation["expiration_timestamp"] = str(int(now) + CONVERSATION_SECONDS)


def _refresh_value(value: dict[str, Any], ids: _Ids) -> None:
    ctx, now = ids.ctx, str(ids.ctx.epoch_seconds())
    metadata = value.get("metadata")
    old_display = None
    if isinstance(metadata, dict):
        old_display = metadata.get("display_phone_number")
        metadata["display_phone_number"] = ctx.tenant.display_phone_number
        metadata["phone_number_id"] = ctx.tenant.phone_number_id
    for contact in value.get("contacts", []):
        names_given = []
        for key in ("wa_id", "user_id"):
            if key in contact:
                contact[key], name = ids.user(str(contact[key]))
                names_given.append(name)
        if names_given:  # one person: the phone's name wins when both ids are there
            contact.setdefault("profile", {})["name"] = names_given[0]
    for message in value.get("messages", []):
        _refresh_message(message, ids, old_display, now)
    for status in value.get("statuses", []):
        _refresh_status(status, ids, now)
    _refresh_other_fields(value, ids, old_display)


def _swap_key(obj: dict[str, Any], old: str, new: str, value: Any) -> None:
    """Replace key ``old`` by ``new`` in place, at the same position (stable, readable bytes)."""
    items = [(new, value) if k == old else (k, v) for k, v in obj.items()]
    obj.clear()
    obj.update(items)


def _insert_after(obj: dict[str, Any], after: str, key: str, value: Any) -> None:
    """Set ``key`` right after key ``after`` (Meta writes ``from`` then ``from_user_id``)."""
    items = list(obj.items())
    at = next((i + 1 for i, (k, _) in enumerate(items) if k == after), len(items))
    items.insert(at, (key, value))
    obj.clear()
    obj.update(items)


def _apply_dual(value: dict[str, Any], ids: _Ids) -> None:
    """Today's ordinary payload: every phone also comes with its business-scoped user id.

    Inbound messages: ``contacts[{profile, wa_id, user_id}]`` and ``messages[{from,
    from_user_id}]``; statuses to a phone also carry ``contacts[{wa_id, user_id}]`` (failed ones
    none, as in the BSUID reading). See docs/meta-contract.md, "Business-scoped user ids".
    """
    for contact in value.get("contacts", []):
        phone = contact.get("wa_id")
        if phone is not None and "user_id" not in contact:
            name = contact.get("profile", {}).get("name", "")
            _insert_after(contact, "wa_id", "user_id", ids.bsuid(str(phone), name)[0])
    for message in value.get("messages", []):
        if "from" in message and "from_user_id" not in message:
            _insert_after(message, "from", "from_user_id", ids.bsuid(str(message["from"]))[0])
    contacts: list[dict[str, Any]] = list(value.get("contacts", []))
    for status in value.get("statuses", []):
        phone = status.get("recipient_id")
        if phone is None or status.get("status") == "failed":
            continue
        bsuid = ids.bsuid(str(phone))[0]
        if all(c.get("user_id") != bsuid for c in contacts):
            contacts.append({"wa_id": phone, "user_id": bsuid})
    if contacts and "statuses" in value and "contacts" not in value:
        statuses = value.pop("statuses")  # Meta writes contacts before the updates
        value["contacts"] = contacts
        value["statuses"] = statuses


def _bsuid_contact(bsuid: str, username: str | None) -> dict[str, Any]:
    return {"profile": {"username": username}, "user_id": bsuid} if username else {"user_id": bsuid}


def _apply_bsuid(value: dict[str, Any], ids: _Ids) -> None:
    """The username-user reading of §k: BSUID everywhere, no phone number anywhere."""
    for contact in value.get("contacts", []):
        phone = contact.pop("wa_id", None)
        if phone is not None and "user_id" not in contact:
            name = contact.get("profile", {}).get("name", "")
            contact["user_id"], username = ids.bsuid(str(phone), name)
            contact.setdefault("profile", {})["username"] = username
    for message in value.get("messages", []):
        if "from" in message:
            # from_user_id: named by a secondary source (dualhook.com BSUID guide), not re-verified
            # on a Meta page; gateways must identify the sender by contacts[].user_id anyway.
            _swap_key(message, "from", "from_user_id", ids.bsuid(str(message["from"]))[0])
    contacts: list[dict[str, Any]] = []
    for status in value.get("statuses", []):
        if "recipient_id" not in status:
            continue
        bsuid, username = ids.bsuid(str(status["recipient_id"]))
        _swap_key(status, "recipient_id", "recipient_user_id", bsuid)
        # Secondary source (dualhook.com): sent/delivered/read statuses now carry contacts (the
        # username only on delivered/read); failed statuses carry none. §a predates this.
        if status.get("status") != "failed" and all(c["user_id"] != bsuid for c in contacts):
            shown = username if status.get("status") in ("delivered", "read", "played") else None
            contacts.append(_bsuid_contact(bsuid, shown))
    if contacts:  # Meta writes contacts before the updates
        statuses = value.pop("statuses")
        value["contacts"] = contacts
        value["statuses"] = statuses


def refresh(
    payload: Mapping[str, Any], ctx: BuildContext, *, dialect: str = DEFAULT_DIALECT
) -> Payload:
    """A NEW payload: fresh wamids, media, sender, timestamps and tenant ids; the rest kept.

    Samples are stored phone-only (``classic``). ``dialect="dual"`` (the default, today's
    payload) adds the business-scoped user id next to every phone: ``contacts[].user_id``,
    ``messages[].from_user_id``, and contacts on statuses. ``dialect="bsuid"`` turns the sender
    into a username user: contacts get ``user_id`` and ``profile.username`` and lose ``wa_id``;
    messages lose ``from``; statuses swap ``recipient_id`` for ``recipient_user_id``.
    """
    _check_dialect(dialect)
    fresh = _copy(payload)
    ids = _Ids(ctx)
    for entry in fresh.get("entry", []):
        entry["id"] = ctx.tenant.waba_id
        if "time" in entry:  # non-message fields carry entry.time, in seconds
            entry["time"] = ctx.epoch_seconds()
        for change in entry.get("changes", []):
            value = change.get("value")
            if not isinstance(value, dict):
                continue
            _refresh_value(value, ids)
            if dialect == "bsuid":
                _apply_bsuid(value, ids)
            elif dialect == "dual":
                _apply_dual(value, ids)
    return fresh


def _envelope(ctx: BuildContext, phone_number_id: str | None, values: list[Payload]) -> Payload:
    metadata = {
        "display_phone_number": ctx.tenant.display_phone_number,
        "phone_number_id": phone_number_id or ctx.tenant.phone_number_id,
    }
    changes = [
        {
            "value": {"messaging_product": "whatsapp", "metadata": dict(metadata), **v},
            "field": "messages",
        }
        for v in values
    ]
    return {
        "object": "whatsapp_business_account",
        "entry": [{"id": ctx.tenant.waba_id, "changes": changes}],
    }


def status_payload(
    ctx: BuildContext,
    *,
    wamid: str,
    status: str,
    recipient_id: str,
    phone_number_id: str | None = None,
    errors: list[dict[str, Any]] | None = None,
    pricing: dict[str, Any] | None = None,
    conversation: dict[str, Any] | None = None,
    biz_opaque_callback_data: str | None = None,
    dialect: str = DEFAULT_DIALECT,
) -> Payload:
    """One complete status webhook for the message ``wamid`` the business sent.

    A BSUID ``recipient_id`` (the send used ``recipient``) lands in ``recipient_user_id`` with a
    contacts entry, as BSUID-era statuses do. A phone ``recipient_id`` in the ``dual`` dialect
    (the default) also gets ``contacts[{wa_id, user_id}]`` (not on ``failed``); ``classic``
    leaves contacts out. ``pricing`` / ``conversation`` are left out unless given (v24+ omits
    conversation); ``biz_opaque_callback_data`` is echoed when the send set it. ``failed``
    needs ``errors``; other statuses refuse them.
    """
    _check_dialect(dialect)
    if status not in STATUSES:
        raise ValueError(f"unknown status {status!r}; allowed: {', '.join(STATUSES)}")
    if status == "failed" and not errors:
        raise ValueError("status 'failed' needs errors, e.g. [{'code': 131049, 'title': '...'}]")
    if errors and status != "failed":
        raise ValueError(f"Meta sends errors only on 'failed' statuses, not on {status!r}")
    obj: Payload = {"id": wamid, "status": status, "timestamp": str(ctx.epoch_seconds())}
    value: Payload = {}
    if is_bsuid(recipient_id):
        obj["recipient_user_id"] = recipient_id
        if status != "failed":
            value["contacts"] = [{"user_id": recipient_id}]
    else:
        obj["recipient_id"] = recipient_id
        if dialect == "dual" and status != "failed":
            user_id = bsuid_of(recipient_id, ctx.tenant.waba_id)
            value["contacts"] = [{"wa_id": recipient_id, "user_id": user_id}]
    if biz_opaque_callback_data is not None:
        obj["biz_opaque_callback_data"] = biz_opaque_callback_data
    for key, extra in (("conversation", conversation), ("pricing", pricing), ("errors", errors)):
        if extra is not None:
            obj[key] = copy.deepcopy(extra)
    value["statuses"] = [obj]
    return _envelope(ctx, phone_number_id, [value])


def _status_items(statuses: Iterable[Mapping[str, Any]]) -> tuple[list[Payload], list[Payload]]:
    """Status objects and contacts out of status objects or whole status webhooks."""
    items: list[Payload] = []
    contacts: list[Payload] = []
    for given in statuses:
        if "object" not in given:
            items.append(copy.deepcopy(dict(given)))
            continue
        for entry in given.get("entry", []):
            for change in entry.get("changes", []):
                value = change.get("value", {})
                items.extend(copy.deepcopy(value.get("statuses", [])))
                contacts.extend(c for c in value.get("contacts", []) if c not in contacts)
    for item in items:
        if not {"id", "status", "timestamp"} <= item.keys():
            raise ValueError(f"not a status object (needs id, status, timestamp): {item}")
    return items, contacts


def statuses_batch(
    ctx: BuildContext,
    statuses: list[Mapping[str, Any]],
    *,
    one_change: bool = True,
    phone_number_id: str | None = None,
) -> Payload:
    """Several statuses in one webhook: status objects or status_payload() outputs.

    ⚠ A secondary source says statuses for different messages are "never combined into a
    single webhook" (docs/meta-contract.md §a) while the generic Graph page batches up to 1000 updates.
    ``one_change=True`` puts them all in one value (the stress case for a gateway);
    ``one_change=False`` gives each its own change in one entry. The strict reading is one POST
    per status: send ``status_payload()`` outputs one by one.
    """
    items, contacts = _status_items(statuses)
    if not items:
        raise ValueError("statuses_batch needs at least one status")
    if one_change:
        value: Payload = {"contacts": contacts} if contacts else {}
        return _envelope(ctx, phone_number_id, [{**value, "statuses": items}])
    values: list[Payload] = []
    for item in items:
        mine = [c for c in contacts if c.get("user_id") == item.get("recipient_user_id")]
        values.append({"contacts": mine, "statuses": [item]} if mine else {"statuses": [item]})
    return _envelope(ctx, phone_number_id, values)


def message_payload(
    ctx: BuildContext, message_type: str, *, dialect: str = DEFAULT_DIALECT, **fields: Any
) -> Payload:
    """Sample ``wa.<message_type>`` refreshed, with ``fields`` set on its message.

    ``message_payload(ctx, "text", body="Bonjour")`` sets ``text.body``;
    ``message_type`` may name a variant (``"interactive.list_reply"``, ``"audio.voice"``).
    ``id``, ``timestamp``, ``from``, ``context``, ``referral``, ``errors`` go on the message itself.
    """
    name = f"wa.{message_type}"
    known = [n for n in names() if _samples()[n].get("kind") in ("message", "reaction")]
    if name not in known:
        allowed = ", ".join(n.removeprefix("wa.") for n in known)
        raise ValueError(f"no WhatsApp message sample {name!r}; message types: {allowed}")
    payload = refresh(sample(name), ctx, dialect=dialect)
    message = payload["entry"][0]["changes"][0]["value"]["messages"][0]
    type_object = message.get(message["type"])
    for key, val in fields.items():
        if key in MESSAGE_KEYS:
            message[key] = val
        elif isinstance(type_object, dict):
            type_object[key] = val
        else:
            raise ValueError(
                f"cannot set {key!r} on a {message['type']!r} message: its object is not a mapping"
            )
    return payload
