"""Stage 10: the client's reply rule gives exactly one reply; WhatsApp media ids become URLs."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from metasim.gateway import seal as sealing
from metasim.gateway.observability.logs import log_event
from metasim.gateway.pipeline.base import Job

if TYPE_CHECKING:
    from metasim.gateway.observability.metrics import Metrics
    from metasim.gateway.outbound.graph_client import GraphClient


class Core:
    """Resolve media (best effort: a reply still goes out without the URL), choose the reply, re-seal."""

    name = "core"

    def __init__(self, graph: GraphClient, seal_key: bytes, metrics: Metrics) -> None:
        self.graph = graph
        self.seal_key = seal_key
        self.metrics = metrics

    async def __call__(self, job: Job) -> dict[str, Any]:
        assert job.client is not None
        resolved = 0
        if job.channel == "wa":
            resolved = await self._resolve_media(job)
        rule = job.client.reply_rule
        text = rule.reply(job.envelope.get("text"), str(job.envelope.get("type")))
        job.reply = {"type": "text", "text": {"body": text}}
        # attachments changed: the seal now covers the envelope as the next stages must see it
        job.seal = sealing.seal(job.envelope, self.seal_key)
        return {"rule": rule.kind, "media_resolved": resolved}

    async def _resolve_media(self, job: Job) -> int:
        """GET /{media_id} on the Graph API for each WhatsApp attachment; its ``url`` goes in."""
        assert job.client is not None and job.send_url_base is not None
        done = 0
        for attachment in job.envelope.get("attachments", []):
            media_id = attachment.get("media_id")
            if not media_id:
                continue
            try:
                info = await self.graph.media(job.send_url_base, media_id, job.client.graph_token)
            except Exception as exc:
                self.metrics.errors.labels(job.channel, "media").inc()
                log_event(
                    "WARNING",
                    f"media {media_id} not resolved: {type(exc).__name__}: {exc}",
                    stage=self.name,
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
