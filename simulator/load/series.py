"""A load run over time (rate, ACK latency percentiles, backlog) and its plots as inline SVG."""

from __future__ import annotations

import html
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from metasim.simulator.load.accounting import _token_in, reply_text
from metasim.simulator.load.meta_side import Tally, percentile

COLORS = ("#0969da", "#cf222e", "#1a7f37", "#8250df", "#9a6700")


def timeline(
    tally: Tally,
    acked: Mapping[str, str],
    ack_at: Mapping[str, float],
    sends: Sequence[Mapping[str, Any]],
) -> dict[str, list[float]]:
    """Per second from the first send: messages sent, messages ACKed in time, ACK latency
    p50 / p95 / p99 (ms), and the backlog (tracked messages ACKed and not yet replied to)."""
    if not tally.series:
        return {"t": []}
    first = min(tally.series)
    # the backlog drains after the sends stop: run the timeline to the last reply too
    last = max(tally.series)
    tokens = {token: msg_id for msg_id, token in acked.items()}
    replied: dict[int, int] = {}
    seen: set[str] = set()
    for call in sends:
        token = _token_in(reply_text(call.get("body")), tokens)
        if token is not None and token not in seen:
            seen.add(token)
            second = int(call["time"])
            replied[second] = replied.get(second, 0) + 1
            last = max(last, second)
    acked_at: dict[int, int] = {}
    for at in ack_at.values():
        acked_at[int(at)] = acked_at.get(int(at), 0) + 1
    out: dict[str, list[float]] = {k: [] for k in ("t", "sent", "acked", "p50", "p95", "p99")}
    out["backlog"] = []
    backlog = 0
    for second in range(first, last + 1):
        sent, ok, lats = tally.series.get(second, (0, 0, []))
        backlog += acked_at.get(second, 0) - replied.get(second, 0)
        out["t"].append(second - first)
        out["sent"].append(sent)
        out["acked"].append(ok)
        for q in ("p50", "p95", "p99"):
            out[q].append(percentile(lats, int(q[1:]) / 100))
        out["backlog"].append(max(backlog, 0))
    return out


def svg_chart(
    title: str, xs: Sequence[float], lines: Mapping[str, Sequence[float]], unit: str
) -> str:
    """A line chart as an inline ``<svg>``: x in seconds, one polyline per series, a legend."""
    width, height, left, bottom, top = 640, 220, 56, 28, 24
    plot_w, plot_h = width - left - 12, height - bottom - top
    top_value = max((v for ys in lines.values() for v in ys), default=0) or 1
    x_max = max(xs, default=0) or 1
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'role="img" aria-label="{html.escape(title)}" class="plot">',
        f'<text x="{left}" y="15" font-size="13" font-weight="600">{html.escape(title)}</text>',
        f'<line x1="{left}" y1="{top + plot_h}" x2="{left + plot_w}" y2="{top + plot_h}" stroke="#57606a"/>',
        f'<line x1="{left}" y1="{top}" x2="{left}" y2="{top + plot_h}" stroke="#57606a"/>',
    ]
    for frac in (0.0, 0.5, 1.0):
        y = top + plot_h * (1 - frac)
        parts.append(
            f'<text x="{left - 4}" y="{y + 4:.0f}" font-size="11" text-anchor="end">'
            f"{top_value * frac:.0f}</text>"
        )
        x = left + plot_w * frac
        parts.append(
            f'<text x="{x:.0f}" y="{height - 10}" font-size="11" text-anchor="middle">'
            f"{x_max * frac:.0f} s</text>"
        )
    parts.append(
        f'<text x="4" y="{top + plot_h / 2:.0f}" font-size="11" '
        f'transform="rotate(-90 10 {top + plot_h / 2:.0f})">{html.escape(unit)}</text>'
    )
    lx = left + 10
    for i, (name, ys) in enumerate(lines.items()):
        color = COLORS[i % len(COLORS)]
        points = " ".join(
            f"{left + plot_w * x / x_max:.1f},{top + plot_h * (1 - y / top_value):.1f}"
            for x, y in zip(xs, ys, strict=False)
        )
        parts.append(
            f'<polyline fill="none" stroke="{color}" stroke-width="1.5" points="{points}"/>'
        )
        parts.append(f'<rect x="{lx}" y="{top + 2}" width="10" height="3" fill="{color}"/>')
        parts.append(f'<text x="{lx + 14}" y="{top + 7}" font-size="11">{html.escape(name)}</text>')
        lx += 30 + 7 * len(name)  # the next legend item after this one's text
    parts.append("</svg>")
    return "".join(parts)


def plots(line: Mapping[str, list[float]]) -> list[str]:
    """The three plots of a run: rate, ACK latency percentiles, backlog."""
    xs = line.get("t", [])
    return [
        svg_chart(
            "Rate",
            xs,
            {
                "messages sent/s": line.get("sent", []),
                "messages ACKed in time/s": line.get("acked", []),
            },
            "per second",
        ),
        svg_chart(
            "ACK latency",
            xs,
            {q: line.get(q, []) for q in ("p50", "p95", "p99")},
            "ms",
        ),
        svg_chart(
            "Backlog (ACKed, not yet replied)",
            xs,
            {"messages": line.get("backlog", [])},
            "messages",
        ),
    ]


def write_html(doc: Mapping[str, Any], line: Mapping[str, list[float]], path: Path) -> Path:
    """The self-contained HTML report beside the JSON (reports/templates/load.html)."""
    from metasim.reports.load_html import render

    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render(doc, line, plots(line)), encoding="utf-8")
    print(f"report written to {path}")
    return path
