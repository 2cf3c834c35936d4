"""The timeline of one bench push, from the ``sync-timeline`` lines both sides log
(:mod:`hub.sync.core.timeline`, on with ``HUB_SYNC_TIMELINE=1``): per batch, when the village
began and finished building it, posted it, when the upstream had its headers and its last
byte, waited for the batch before it, had the node's lock, committed, answered, and when the
village had the answer. Times are seconds from ``started`` (the bench's ``time.monotonic()``,
the same clock as the nodes' on one machine).
"""

import json
import re
from pathlib import Path

LINE = re.compile(r"sync-timeline (?P<t>\d+\.\d+) (?P<event>[\w.]+) (?P<fields>\{.*\})")

COLUMNS = [
    ("build", "village.build"),
    ("built", "village.built"),
    ("post", "village.post"),
    ("head", "up.head"),
    ("body", "up.body"),
    ("waited", "up.waited"),
    ("locked", "up.locked"),
    ("commit", "up.committed"),
    ("answer", "up.answer"),
    ("back", "village.answer"),
    ("acked", "village.acked"),
]


def _events(paths: list[Path], started: float, ended: float) -> list[tuple[float, str, dict]]:
    events = []
    for path in paths:
        try:
            text = path.read_text(errors="replace")
        except FileNotFoundError:
            continue
        for match in LINE.finditer(text):
            t = float(match["t"])
            if started - 1 <= t <= ended + 1:
                events.append((t, match["event"], json.loads(match["fields"])))
    events.sort(key=lambda e: e[0])
    return events


def push_timeline(paths: list[Path], started: float, ended: float) -> dict:
    """Per batch (by its ``after``) the time of each step; the upstream's request steps
    (headers, body, answer) are given to the batch its thread decoded in between."""
    batches: dict[int, dict] = {}
    open_requests: dict[tuple, dict] = {}  # (pid, thread) -> steps before the batch is known
    for t, event, fields in _events(paths, started, ended):
        rel = round(t - started, 3)
        if event in ("up.head", "up.body", "up.answer"):
            key = (fields.get("pid"), fields.get("thread"))
            if event == "up.head":
                open_requests[key] = {"up.head": rel}
            elif key in open_requests:
                open_requests[key][event] = rel
                if event == "up.body":
                    open_requests[key]["bytes"] = fields.get("bytes")
                if event == "up.answer":
                    steps = open_requests.pop(key)
                    after = steps.pop("after", None)
                    if after is not None:
                        batches.setdefault(after, {}).update(steps)
            continue
        after = fields.get("after")
        if after is None:
            continue
        batch = batches.setdefault(after, {})
        batch.setdefault(event, rel)
        if event == "village.built":
            batch.update(to=fields.get("to"), count=fields.get("count"), bytes=fields.get("bytes"))
        if event == "up.decoded":
            key = (fields.get("pid"), fields.get("thread"))
            if key in open_requests:
                open_requests[key]["after"] = after
    return dict(sorted(batches.items()))


def timeline_table(batches: dict) -> list[str]:
    head = f"{'batch':>18} {'records':>7} {'KB':>6} " + " ".join(
        f"{name:>7}" for name, _ in COLUMNS
    )
    lines = [head]
    for after, steps in batches.items():
        cells = []
        for _name, event in COLUMNS:
            value = steps.get(event)
            cells.append(f"{value:7.2f}" if isinstance(value, float | int) else f"{'—':>7}")
        size = steps.get("bytes") or 0
        span = f"{after}-{steps.get('to', '?')}"
        lines.append(
            f"{span:>18} {steps.get('count') or 0:>7} {size / 1024:6.0f} " + " ".join(cells)
        )
    return lines
