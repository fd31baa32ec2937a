"""Ten mutant gateways: the reference with ONE known bug each (docs/meta-contract.md §l), by patching."""

from __future__ import annotations

import copy
import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any


@dataclass(frozen=True)
class Mutant:
    """A bug, how to plant it in the reference gateway, and the test ids that must catch it."""

    name: str
    bug: str
    apply: Callable[[], None]
    caught_by: tuple[str, ...]


def _only_first_update() -> None:
    # pywa #229 / netflie #132: only entry[0].changes[0].value.messages[0] is handled
    from metasim.gateway import parsers

    def first_only(parse: Callable[..., list[Any]]) -> Callable[..., list[Any]]:
        return lambda payload, meta: parse(payload, meta)[:1]

    for channel, parse in list(parsers._PARSERS.items()):
        parsers._PARSERS[channel] = first_only(parse)


def _hub_mode_unchecked() -> None:
    # pywa and n8n's WhatsApp trigger: the verify token is checked, hub.mode never is
    from starlette.requests import Request
    from starlette.responses import PlainTextResponse, Response

    from metasim.gateway.routes import webhook
    from metasim.gateway.security.signature import token_matches

    def handshake_factory(runtime: Any, channel: str | None) -> Any:
        async def handshake(request: Request) -> Response:
            q = request.query_params
            if token_matches(q.get("hub.verify_token"), runtime.settings.verify_token):
                return PlainTextResponse(q.get("hub.challenge") or "")
            return PlainTextResponse("Forbidden", status_code=403)

        return handshake

    webhook._handshake = handshake_factory


def _missing_signature_accepted() -> None:
    # a verifier that only checks a signature when one is present
    from metasim.gateway.pipeline import signature
    from metasim.gateway.security.signature import SignatureResult

    original = signature.verify

    def verify(body: bytes, value: str | None, secret: str) -> SignatureResult:
        if value is None or not value.strip():
            return SignatureResult.VALID
        return original(body, value, secret)

    signature.verify = verify


def _dedupe_on_body_hash() -> None:
    # idempotency keyed on a hash of the raw body (dedupe and the outbox key alike): a
    # redelivery whose bytes differ (re-serialised) slips through and is answered twice
    import contextvars

    from metasim.gateway.pipeline import dedupe, outbox
    from metasim.gateway.pipeline.base import Job, Stop
    from metasim.gateway.store.base import OutboxItem

    body_key: contextvars.ContextVar[str] = contextvars.ContextVar("body_key", default="")

    async def run(self: dedupe.Dedupe, job: Job) -> dict[str, Any]:
        key = hashlib.sha256(job.event.raw).hexdigest() + f":{job.update.where}"
        body_key.set(key)  # the outbox stage runs next in the same task and reads it
        if await self.store.dedupe_first(job.channel, key, self.window_seconds):
            return {"first": True}
        raise Stop("duplicate", "duplicate")

    def item(**fields: Any) -> OutboxItem:
        return OutboxItem(**{**fields, "key": f"{fields['channel']}:{body_key.get()}"})

    dedupe.Dedupe.__call__ = run  # type: ignore[method-assign]
    outbox.OutboxItem = item  # type: ignore[misc,assignment]  # a factory stands in for the class


def _statuses_as_messages() -> None:
    # P1-02's bug: value.statuses handled like value.messages
    from metasim.gateway import parsers

    parse_wa = parsers._PARSERS["wa"]

    def parse(payload: dict[str, Any], meta: Any) -> Any:
        payload = copy.deepcopy(payload)
        for entry in payload.get("entry", []):
            for change in entry.get("changes", []):
                value = change.get("value", {})
                for status in value.pop("statuses", []) or []:
                    value.setdefault("messages", []).append(
                        {
                            "from": status.get("recipient_id", ""),
                            "id": status.get("id", ""),
                            "timestamp": status.get("timestamp", "0"),
                            "type": "text",
                            "text": {"body": status.get("status", "")},
                        }
                    )
        return parse_wa(payload, meta)

    parsers._PARSERS["wa"] = parse


def _epoch_millis_as_seconds() -> None:
    # the backlog's old parser: every epoch value multiplied as seconds
    from metasim.gateway.parsers import base

    def to_iso(value: Any) -> str:
        moment = datetime.fromtimestamp(float(value), UTC)  # ms overflow: year out of range
        return moment.strftime("%Y-%m-%dT%H:%M:%SZ")

    base.to_iso = to_iso


def _drop_attachments_with_200() -> None:
    # 200 answered while the update is dropped: attachment events vanish after the ACK
    from metasim.gateway import parsers

    for channel in ("ig", "msg"):
        parse = parsers._PARSERS[channel]

        def keep_plain(payload: dict[str, Any], meta: Any, _p: Any = parse) -> Any:
            return [
                u
                for u in _p(payload, meta)
                if not (
                    u.envelope
                    and (u.envelope.get("attachments") or u.envelope.get("type") == "postback")
                )
            ]

        parsers._PARSERS[channel] = keep_plain


def _retry_permanent_errors() -> None:
    # every Graph error retried: a permanent 100 / 131026 / 190 burns all attempts
    from metasim.gateway.outbound import worker
    from metasim.gateway.outbound.errors import Verdict

    original = worker.classify

    def classify(status: int, body: Any, attempts: int) -> Verdict:
        verdict = original(status, body, attempts)
        return Verdict(True, verdict.reason, verdict.min_delay)

    worker.classify = classify


def _retry_permanent_errors_late() -> None:
    # n8n's "Retry On Fail" (1 s wait): a permanent error is retried once, after the scenario
    # that checked it had already passed; only the late-traffic audit can see it
    from metasim.gateway.outbound import worker
    from metasim.gateway.outbound.errors import Verdict

    original = worker.classify

    def classify(status: int, body: Any, attempts: int) -> Verdict:
        verdict = original(status, body, attempts)
        if verdict.retryable or attempts > 1:
            return verdict
        return Verdict(True, verdict.reason, 1.2)

    worker.classify = classify


def _receipts_answered() -> None:
    # Instagram / Messenger read and delivery receipts answered like messages: with the fake's
    # receipts on, every reply earns a receipt that earns a reply (a reply loop)
    from metasim.gateway.parsers import base, messaging

    original = messaging.event

    def event(ev: Any, entry: dict[str, Any], where: str, meta: Any) -> Any:
        update = original(ev, entry, where, meta)
        if update.kind not in messaging.RECEIPTS:
            return update
        raw = base.as_dict(ev)
        sender = base.id_of(raw.get("sender"))
        stamp = raw.get("timestamp", entry.get("time")) or 1767225600000
        env = base.envelope(
            meta, msg_id=f"{update.kind}:{sender}:{stamp}", sender=sender, timestamp=stamp,
            type_="text", text="", raw_meta=raw, tenant_id=update.tenant_id,
        )  # fmt: skip
        return base.Update("message", where, raw, env, True, update.tenant_id)

    messaging.event = event


MUTANTS: dict[str, Mutant] = {
    m.name: m
    for m in (
        Mutant(
            "only_first_update",
            "only the first update of a batch is handled",
            _only_first_update,
            ("T2.12", "T2.15", "T5.05", "T6.04", "T12.02"),
        ),
        Mutant(
            "hub_mode_unchecked",
            "hub.mode is not checked in the handshake",
            _hub_mode_unchecked,
            ("T3.14",),
        ),
        Mutant(
            "missing_signature_accepted",
            "a missing signature is accepted in enforce",
            _missing_signature_accepted,
            ("T3.02", "T3.03", "T12.03"),
        ),
        Mutant(
            "dedupe_on_body_hash",
            "dedupe is keyed on a hash of the body",
            _dedupe_on_body_hash,
            ("T5.02", "T5.05"),
        ),
        Mutant(
            "statuses_as_messages",
            "statuses are processed as messages",
            _statuses_as_messages,
            ("T2.06", "T2.15"),
        ),
        Mutant(
            "epoch_millis_as_seconds",
            "epoch milliseconds are read as seconds",
            _epoch_millis_as_seconds,
            ("T10.04", "T2.07", "T2.09"),
        ),
        Mutant(
            "drop_attachments_with_200",
            "200 is answered while attachment events are dropped",
            _drop_attachments_with_200,
            ("T2.08", "T2.10", "T2.11"),
        ),
        Mutant(
            "retry_permanent_errors",
            "a permanent Graph error is retried",
            _retry_permanent_errors,
            ("T9.04", "T13.03"),
        ),
        Mutant(
            "retry_permanent_errors_late",
            "a permanent Graph error is retried once, 1.2 s later",
            _retry_permanent_errors_late,
            ("T13.03",),
        ),
        Mutant(
            "receipts_answered",
            "Instagram and Messenger read / delivery receipts are answered",
            _receipts_answered,
            ("T2.16", "T2.07"),
        ),
    )
}


def apply(name: str) -> Mutant:
    """Plant mutant ``name`` in the imported reference gateway; unknown names list the known."""
    mutant = MUTANTS.get(name)
    if mutant is None:
        raise SystemExit(f"unknown mutant {name!r}; known: {', '.join(MUTANTS)}")
    mutant.apply()
    return mutant
