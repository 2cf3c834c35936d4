"""`scripts/bench sync --years 5`: a village five years in costs what a fresh one does.

Real processes, as the other sync benches: an upstream under gunicorn on PostgreSQL and a
village under ``scripts/run`` on SQLite (from the migrated template, so an old database with
``auto_vacuum=NONE``), talking directly (no link simulator: what is compared is the work the
two hubs do, not the link). An agent process acts on the village's database (the steps of
:mod:`bench.years_steps`).

1. fresh: idle syncs and pushes of 100 new records, each timed (medians);
2. five years of simulated activity written into the village: journal rows of its own records
   edited over and over (all acknowledged by the upstream), deleted records with their
   tombstones, the upstream's records it pulled, a sync run every half hour, expired sessions;
3. the same measures on the five-year-old hub, before compaction (for the record);
4. the daily housekeeping (``sync_housekeeping_task``): compaction, pruning, space back to the
   disk; its counts, time, longest write transaction and the database file before and after;
5. the same measures after it. Targets: idle sync and push after compaction ≤ 1.2 × fresh, and
   the database file smaller after the housekeeping than before.
"""

import argparse
import contextlib
import json
import statistics
import time
from pathlib import Path

from tests.harness.hubs import UPSTREAM_CODE, VILLAGE_CODES, UpstreamNode, VillageNode

from .common import MB, BenchError, agent_step, say
from .sync.common import BenchRun, sync_once

TARGET_RATIO = 1.2

PUSH_PREFIX = "dorongan bench"


def measure(v, label: str, *, idles: int, pushes: int, push_n: int) -> dict:
    """Median seconds of idle syncs and of pushes of ``push_n`` new records."""
    idle, push, bytes_idle = [], [], []
    for _ in range(idles):
        started = time.monotonic()
        run = sync_once(v)
        idle.append(time.monotonic() - started)
        if run["outcome"] != "ok" or run["records_up"] or run["records_down"]:
            raise BenchError(f"{label}: idle sync moved something or failed: {run}")
        bytes_idle.append(run["bytes_up"] + run["bytes_down"])
    for k in range(pushes):
        v("create", n=push_n, prefix=f"{PUSH_PREFIX} {label} {k}", timeout=600)
        started = time.monotonic()
        run = sync_once(v)
        push.append(time.monotonic() - started)
        if run["outcome"] != "ok" or run["records_up"] != push_n:
            raise BenchError(f"{label}: push of {push_n} failed: {run}")
    out = {
        "idle_seconds": round(statistics.median(idle), 4),
        "idle_all": [round(s, 4) for s in idle],
        "idle_bytes": statistics.median(bytes_idle),
        "push_seconds": round(statistics.median(push), 4),
        "push_all": [round(s, 4) for s in push],
    }
    say(
        f"{label}: idle sync {out['idle_seconds'] * 1000:.0f} ms (median of {idles}), "
        f"push of {push_n} {out['push_seconds'] * 1000:.0f} ms (median of {pushes})"
    )
    return out


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="scripts/bench sync --years N", description=__doc__)
    parser.add_argument("--years", type=int, default=5, help="years of activity (5)")
    parser.add_argument("--live", type=int, default=13_000, help="village records alive (13000)")
    parser.add_argument("--dead", type=int, default=20_000, help="records deleted (20000)")
    parser.add_argument("--pulled", type=int, default=4_000, help="upstream records (4000)")
    parser.add_argument("--sessions", type=int, default=5_000, help="expired sessions (5000)")
    parser.add_argument("--idles", type=int, default=9, help="idle syncs per measure (9)")
    parser.add_argument("--pushes", type=int, default=5, help="pushes per measure (5)")
    parser.add_argument("--push-records", type=int, default=100, help="records a push (100)")
    parser.add_argument("--json", type=Path, help="result file (var/bench/years-<time>.json)")
    parser.add_argument("--keep", action="store_true", help="keep the data dirs and logs")
    args = parser.parse_args(argv)

    run = BenchRun.start(args, "years")
    base, results = run.base, run.results
    measures = {"idles": args.idles, "pushes": args.pushes, "push_n": args.push_records}
    with run:
        with contextlib.ExitStack() as stack:
            say("starting the upstream (PostgreSQL, gunicorn 2 workers) and the village")
            upstream = UpstreamNode(base / "upstream")
            stack.callback(upstream.close)
            village = VillageNode(base, VILLAGE_CODES[0], upstream)
            stack.callback(village.close)
            v = village.agent()
            agent_step(v, "bench.years_steps:schedules_postpone")
            warm = sync_once(v)
            if warm["outcome"] != "ok":
                raise BenchError(f"first sync failed: {warm['error']}")

            fresh = measure(v, "fresh", **measures)
            fresh_sizes = agent_step(v, "bench.years_steps:database_sizes")

            say(f"writing {args.years} years of activity into the village")
            began = time.monotonic()
            history = agent_step(
                v,
                "bench.years_steps:history_write",
                timeout=1800,
                me=village.code,
                up=UPSTREAM_CODE,
                years=args.years,
                live=args.live,
                dead=args.dead,
                pulled=args.pulled,
                sessions=args.sessions,
            )
            say(f"history written in {time.monotonic() - began:.0f} s: {history}")
            # the upstream holds the village's journal as far as the village says it was
            # acknowledged: else the next sync takes the village for one restored from an older
            # backup and pushes the whole history again (hub.sync.upstream.reseed.cursor_check)
            if not agent_step(
                upstream.agent(),
                "bench.years_steps:village_acknowledged",
                code=village.code,
                push_seq=v("state")["push_seq"],
            ):
                raise BenchError(f"the upstream does not know the village {village.code}")
            if history["journal"] < 200_000 or history["tombstones"] < 20_000:
                raise BenchError(f"too small a history: {history}")
            old_sizes = agent_step(v, "bench.years_steps:database_sizes")
            old = measure(v, "5 years, before compaction", **measures)

            say("daily housekeeping: compaction, pruning, space back to the disk")
            housekeeping = agent_step(v, "bench.years_steps:housekeeping_run", timeout=1800)
            say(f"housekeeping: {json.dumps(housekeeping)}")
            compacted_sizes = agent_step(v, "bench.years_steps:database_sizes")
            compacted = measure(v, "5 years, after compaction", **measures)

        results.data.update(
            history=history,
            fresh=fresh,
            fresh_sizes=fresh_sizes,
            old=old,
            old_sizes=old_sizes,
            housekeeping=housekeeping,
            compacted=compacted,
            compacted_sizes=compacted_sizes,
        )
        for name, key in (("idle sync", "idle_seconds"), ("push of 100 records", "push_seconds")):
            ratio = compacted[key] / fresh[key]
            before = old[key] / fresh[key]
            results.add(
                f"{args.years} years: {name}, time vs a fresh hub",
                f"{compacted[key] * 1000:.0f} ms = {ratio:.2f} × {fresh[key] * 1000:.0f} ms "
                f"(before compaction {before:.2f} ×)",
                f"≤ {TARGET_RATIO} ×",
                ratio <= TARGET_RATIO,
            )
        before_bytes = old_sizes["file_bytes"] + old_sizes["wal_bytes"]
        after_bytes = compacted_sizes["file_bytes"] + compacted_sizes["wal_bytes"]
        results.add(
            f"{args.years} years: database file after the housekeeping",
            f"{before_bytes / MB:.1f} MB → {after_bytes / MB:.1f} MB "
            f"(journal {old_sizes['journal_rows']:,} → {compacted_sizes['journal_rows']:,} rows, "
            f"tombstones {old_sizes['tombstones']:,} → {compacted_sizes['tombstones']:,})",
            "smaller",
            after_bytes < before_bytes,
        )
        space = housekeeping["report"]["space"]
        results.add(
            f"{args.years} years: housekeeping time, longest write lock held",
            f"{housekeeping['seconds']:.1f} s; compaction's longest transaction "
            f"{housekeeping['report']['journal']['longest_transaction'] * 1000:.0f} ms, "
            f"space back by {space['method']} in {space.get('longest_step', 0):.2f} s",
            "(recorded)",
            None,
        )
    return run.status
