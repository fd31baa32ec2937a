"""Batched webhooks: N entries x M changes x K updates, at most Meta's 1000 updates per POST."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from itertools import cycle
from typing import Any

from metasim.simulator import catalogue
from metasim.simulator.context import BuildContext

# "Batch: up to 1000 updates" / "max 1000 updates" per POST (docs/meta-contract.md §f, Graph webhooks).
MAX_UPDATES = 1000
DEFAULT_MIX = {"wa": ("wa.text",), "ig": ("ig.text",), "msg": ("msg.text",)}
# WhatsApp value lists that carry updates; Meta puts exactly one of them in a change value.
WA_UPDATE_KEYS = ("messages", "statuses", "errors")
# Instagram / Messenger entry lists that carry updates.
ENTRY_UPDATE_KEYS = ("messaging", "standby", "changes")

Payload = dict[str, Any]
Progress = Callable[[int, int], None]


class BatchError(ValueError):
    """A batch Meta would never send: too many updates, bad shape, or an unusable mix."""


def _check_shape(channel: str, entries: int, changes: int, messages: int) -> int:
    if channel not in catalogue.CHANNELS:
        raise BatchError(f"unknown channel {channel!r}; use one of {', '.join(catalogue.CHANNELS)}")
    for label, value in (("entries", entries), ("changes", changes), ("messages", messages)):
        if value < 1:
            raise BatchError(f"{label} must be at least 1, got {value}")
    if channel != "wa" and changes != 1:
        raise BatchError(
            f"{channel} batches have no changes level (entry[].messaging[]): "
            f"use entries and messages, got changes={changes}"
        )
    total = entries * changes * messages
    if total > MAX_UPDATES:
        raise BatchError(
            f"{entries} entries x {changes} changes x {messages} updates = {total} updates; "
            f"Meta sends at most {MAX_UPDATES} updates per POST (docs/meta-contract.md §f)"
        )
    return total


class _Source:
    """Fresh single updates cut out of refreshed catalogue samples, grouped by the list holding them."""

    def __init__(
        self, channel: str, mix: Sequence[str], ctx: BuildContext, dialect: str | None
    ) -> None:
        if dialect is None:  # the first mix event's default (dual for WhatsApp)
            dialect = catalogue.default_dialect(catalogue.get(mix[0])) if mix else "classic"
        self.channel, self.ctx, self.dialect = channel, ctx, dialect
        self.groups: dict[str, list[str]] = {}
        for name in mix:
            event = catalogue.get(name)
            if event.channel != channel or event.is_batch:
                raise BatchError(f"mix event {name!r} is not a single {channel} event")
            catalogue.check_dialect(event, dialect)
            self.groups.setdefault(
                self._key(self._container(catalogue.sample(name)), name), []
            ).append(name)
        if not self.groups:
            raise BatchError("mix must name at least one catalogue event")
        self.cycles = {key: cycle(names) for key, names in self.groups.items()}
        self.refresh = catalogue.refresher(channel)

    def _container(self, payload: Payload) -> dict[str, Any]:
        entry: dict[str, Any] = payload["entry"][0]
        if self.channel == "wa":
            value: dict[str, Any] = entry["changes"][0]["value"]
            return value
        return entry

    def _key(self, container: Mapping[str, Any], name: str) -> str:
        keys = WA_UPDATE_KEYS if self.channel == "wa" else ENTRY_UPDATE_KEYS
        found = [k for k in keys if container.get(k)]
        if len(found) != 1:
            raise BatchError(
                f"sample {name!r} must hold exactly one of {', '.join(keys)}, found {found}"
            )
        return found[0]

    def take(self, key: str) -> tuple[Payload, dict[str, Any]]:
        """A refreshed sample of group ``key`` and the container (value or entry) of its update."""
        name = next(self.cycles[key])
        payload = self.refresh(catalogue.sample(name), self.ctx, dialect=self.dialect)
        return payload, self._container(payload)


def _wa_change(source: _Source, key: str, k: int, tick: Callable[[], None]) -> dict[str, Any]:
    """One WhatsApp change whose value holds ``k`` updates of one list (messages OR statuses)."""
    first_payload, first = source.take(key)
    change = dict(first_payload["entry"][0]["changes"][0])
    value = {kk: vv for kk, vv in first.items() if kk not in (*WA_UPDATE_KEYS, "contacts")}
    items: list[Any] = []
    contacts: list[Any] = []
    container = first
    for i in range(k):
        if i:
            container = source.take(key)[1]
        items.extend(container[key][:1])
        for contact in container.get("contacts", []):
            if contact not in contacts:
                contacts.append(contact)
        tick()
    if contacts:
        value["contacts"] = contacts  # Meta sends contacts only with inbound messages (§a)
    value[key] = items
    change["value"] = value
    return change


def _wa(source: _Source, n: int, m: int, k: int, tick: Callable[[], None]) -> Payload:
    kinds = cycle(source.groups)  # alternate messages / statuses changes when both are mixed
    entries = []
    for _ in range(n):
        changes = [_wa_change(source, next(kinds), k, tick) for _ in range(m)]
        # Every entry is the context's WABA: the gateway must know the tenant to process it.
        entries.append({"id": source.ctx.tenant.waba_id, "changes": changes})
    return {"object": "whatsapp_business_account", "entry": entries}


def _paged(source: _Source, n: int, k: int, tick: Callable[[], None]) -> Payload:
    kinds = cycle(source.groups)
    entries = []
    obj = ""
    for _ in range(n):
        key = next(kinds)
        payload, first = source.take(key)
        obj = payload["object"]
        entry = {kk: vv for kk, vv in first.items() if kk not in ENTRY_UPDATE_KEYS}
        items = list(first[key][:1])
        tick()
        for _ in range(k - 1):
            items.extend(source.take(key)[1][key][:1])
            tick()
        entry[key] = items
        entry["time"] = source.ctx.epoch_millis()
        entries.append(entry)
    return {"object": obj, "entry": entries}


def batch(
    channel: str,
    entries: int = 1,
    changes: int = 1,
    messages: int = 1,
    ctx: BuildContext | None = None,
    *,
    mix: Sequence[str] | None = None,
    dialect: str | None = None,
    progress: Progress | None = None,
) -> Payload:
    """One POST body holding ``entries x changes x messages`` fresh updates.

    WhatsApp: ``entries`` entries of ``changes`` changes whose value holds ``messages`` updates;
    a value holds messages OR statuses, never both, so a mix of both alternates per change.
    Instagram / Messenger: ``entries`` entries each with ``messages`` events in ``messaging[]``
    (Meta's own sample says one event per ``messaging``; keep ``messages=1`` to match it).
    ``mix`` names catalogue events cycled through (default: the channel's text message).
    Raises :class:`BatchError` past Meta's 1000 updates per POST.
    """
    total = _check_shape(channel, entries, changes, messages)
    ctx = ctx if ctx is not None else BuildContext()
    source = _Source(channel, tuple(mix or DEFAULT_MIX[channel]), ctx, dialect)
    done = 0

    def tick() -> None:
        nonlocal done
        done += 1
        if progress is not None:
            progress(done, total)

    if channel == "wa":
        return _wa(source, entries, changes, messages, tick)
    return _paged(source, entries, messages, tick)


def from_spec(
    spec: Mapping[str, Any],
    ctx: BuildContext,
    *,
    dialect: str | None = None,
    progress: Progress | None = None,
) -> Payload:
    """Build the batch a batches.json ``"batch"`` spec describes."""
    unknown = set(spec) - {"channel", "entries", "changes", "messages", "mix"}
    if unknown or "channel" not in spec:
        raise BatchError(
            f"batch spec needs 'channel' and only entries/changes/messages/mix: {dict(spec)}"
        )
    return batch(
        spec["channel"],
        int(spec.get("entries", 1)),
        int(spec.get("changes", 1)),
        int(spec.get("messages", 1)),
        ctx,
        mix=spec.get("mix"),
        dialect=dialect,
        progress=progress,
    )


def count_updates(payload: Mapping[str, Any]) -> int:
    """How many updates a webhook body carries (what Meta's 1000 limit counts)."""
    total = 0
    for entry in payload.get("entry", []):
        for change in entry.get("changes", []):
            value = change.get("value", {})
            hits = [len(value[k]) for k in WA_UPDATE_KEYS if isinstance(value.get(k), list)]
            total += sum(hits) if hits else 1
        for key in ("messaging", "standby"):
            total += len(entry.get(key, []))
    return total


def wrap(name: str, n: int, ctx: BuildContext | None = None, **kwargs: Any) -> Payload:
    """``n`` fresh copies of single event ``name`` in one POST (the CLI's ``--batch N``).

    WhatsApp: one entry, one change, ``n`` updates in its value; Instagram / Messenger:
    ``n`` entries with one ``messaging`` event each, as Meta batches them.
    """
    event = catalogue.get(name)
    if event.is_batch:
        raise BatchError(f"{name!r} is already a batch; --batch takes a single event")
    if event.channel == "wa":
        return batch("wa", 1, 1, n, ctx, mix=[name], **kwargs)
    return batch(event.channel, n, 1, 1, ctx, mix=[name], **kwargs)
