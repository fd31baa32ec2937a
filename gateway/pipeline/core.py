"""Stage 10: the client's reply rule gives exactly one reply; WhatsApp media ids become URLs."""

from __future__ import annotations

from typing import Any

from metasim.gateway import seal as sealing
from metasim.gateway.observability.logs import log_event
from metasim.gateway.pipeline.base import Job

NAME = "core"


async def run(job: Job) -> dict[str, Any]:
    """Resolve media (best effort: a reply still goes out without the URL), choose the reply, re-seal."""
    assert job.client is not None
    resolved = 0
    if job.channel == "wa":
        resolved = await _resolve_media(job)
    text = job.client.reply_rule.reply(job.envelope.get("text"), str(job.envelope.get("type")))
    job.reply = {"type": "text", "text": {"body": text}}
    # attachments changed: the seal now covers the envelope as the next stages must see it
    job.seal = sealing.seal(job.envelope, job.runtime.seal_key)
    return {"rule": job.client.reply_rule.kind, "media_resolved": resolved}


async def _resolve_media(job: Job) -> int:
    """GET /{media_id} on the Graph API for each WhatsApp attachment; its ``url`` goes in."""
    assert job.client is not None and job.send_url_base is not None
    done = 0
    for attachment in job.envelope.get("attachments", []):
        media_id = attachment.get("media_id")
        if not media_id:
            continue
        try:
            info = await job.runtime.graph.media(
                job.send_url_base, media_id, job.client.graph_token
            )
        except Exception as exc:
            job.runtime.metrics.errors.labels(job.channel, "media").inc()
            log_event(
                "WARNING",
                f"media {media_id} not resolved: {type(exc).__name__}: {exc}",
                stage=NAME,
                channel=job.channel,
                msg_id=job.msg_id,
                correlation_id=job.event.correlation_id,
            )
            continue
        if isinstance(info, dict) and isinstance(info.get("url"), str) and info["url"]:
            attachment["url"] = info["url"]
            for key in ("mime_type", "sha256"):
                if isinstance(info.get(key), str) and info[key]:
                    attachment[key] = info[key]
            done += 1
    return done
