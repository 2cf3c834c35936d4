"""The sync bench's order of work (see the package's docstring) and its command line."""

import argparse
import contextlib
from pathlib import Path

from tests.harness.hubs import VILLAGE_CODES, VillageNode
from tests.harness.linksim import LinkSim

from ..common import agent_step, say
from . import __doc__ as DESCRIPTION
from .blob import bench_blob
from .common import BenchRun, BenchUpstream, load_average
from .link import bench_cut_push, bench_idle, bench_push
from .upstream import bench_load, bench_queries, fake_villages

STEPS = "bench.sync.steps"


def main(argv: list[str]) -> int:
    if any(arg == "--years" or arg.startswith("--years=") for arg in argv):
        from ..years import main as years_main  # five years of activity: bench/years.py

        return years_main(argv)
    parser = argparse.ArgumentParser(
        prog="scripts/bench sync", description=DESCRIPTION.split("\n\n")[0]
    )
    parser.add_argument("--records", type=int, default=10_000, help="records pushed (10000)")
    parser.add_argument(
        "--cut-records", type=int, default=5_000, help="records pushed through cuts (5000)"
    )
    parser.add_argument(
        "--only",
        default="idle,blob,queries,load,push,cut",
        help="comma-separated parts to run (idle,blob,queries,load,push,cut: all)",
    )
    parser.add_argument(
        "--push-pipeline",
        type=int,
        help="push batches in flight at once for the 10,000-record push (default: the "
        "village's SYNC_PUSH_PIPELINE; 1 sends one after the other, to compare)",
    )
    parser.add_argument(
        "--push-compare",
        action="store_true",
        help="push twice in the same run, one batch at a time then pipelined, each with "
        "--records new records (the ratio of the two, on a loaded machine)",
    )
    parser.add_argument("--blob-side", type=int, default=2600, help="noise PNG side, px (2600)")
    parser.add_argument(
        "--blob-kbps", type=float, default=40_000, help="link rate for the blob, kbit/s (40000)"
    )
    parser.add_argument("--load-seconds", type=float, default=20, help="idle-sync load (20)")
    parser.add_argument("--load-villages", type=int, default=20, help="concurrent villages (20)")
    parser.add_argument(
        "--upstream-threads", type=int, default=2, help="gunicorn threads per worker (2)"
    )
    parser.add_argument(
        "--settle-seconds",
        type=float,
        default=120,
        help="after a failed push, how long to wait for the upstream to commit its batch (120)",
    )
    parser.add_argument("--json", type=Path, help="result file (var/bench/sync-<time>.json)")
    parser.add_argument("--keep", action="store_true", help="keep the data dirs and logs")
    args = parser.parse_args(argv)

    run = BenchRun.start(args, "sync")
    base, results = run.base, run.results
    say(f"data dirs and logs in {base}; load average {load_average()}")
    with run, contextlib.ExitStack() as stack:
        say("starting the upstream (PostgreSQL, gunicorn 2 workers)")
        upstream = BenchUpstream(
            base / "upstream",
            threads=args.upstream_threads,
            access_log=base / "upstream-access.log",
        )
        stack.callback(upstream.close)
        link = stack.enter_context(LinkSim(upstream.port))
        say(f"starting the village (scripts/run) behind linksim on port {link.port}")
        village = VillageNode(
            base, VILLAGE_CODES[0], upstream, via_port=link.port,
            env={"HUB_SYNC_TIMELINE": "1"},
        )  # fmt: skip
        logs = (
            lambda: sorted(village.base.glob("agent-*.log")),
            lambda: [upstream.base / "upstream-gunicorn.log"],
        )
        stack.callback(village.close)
        v, u = village.agent(), upstream.agent()
        # the cluster's own schedule must not sync through the link while it is measured
        agent_step(v, f"{STEPS}:sync_schedule_postpone")

        parts = set(args.only.split(","))
        if "idle" in parts:
            bench_idle(results, v, link, upstream)
        if "blob" in parts:
            bench_blob(results, v, u, link, upstream, village, args.blob_side, args.blob_kbps)

        if parts & {"queries", "load"}:
            fakes = fake_villages(base, args.load_villages)
            villages = [(f.code, f.public_key) for f in fakes]
            agent_step(u, f"{STEPS}:villages_enroll", villages=villages)
            prepared = agent_step(u, f"{STEPS}:idle_push_body")
            body = bytes.fromhex(prepared["body"])
            results.data["idle_push_body_bytes"] = len(body)
            if "queries" in parts:
                bench_queries(results, u, fakes[0], body)
            if "load" in parts:
                bench_load(results, upstream, fakes, body, args.load_seconds)

        # late: a push that times out leaves the upstream applying its batch for a while
        if "push" in parts:
            pipelined = args.push_pipeline or agent_step(v, f"{STEPS}:push_pipeline")
            if args.push_compare:
                bench_push(
                    results, v, u, link, upstream, args.records, args.settle_seconds,
                    1, prefix="catatan serial", label=" (one batch at a time)", logs=logs,
                )  # fmt: skip
            bench_push(
                results, v, u, link, upstream, args.records, args.settle_seconds,
                pipelined,
                label=" (pipelined)" if args.push_compare else "", logs=logs,
            )  # fmt: skip
        if "cut" in parts:
            bench_cut_push(results, v, u, link, upstream, args.cut_records)
        others = agent_step(v, f"{STEPS}:sync_runs_not_ours")
        results.data["village_runs_not_ours"] = others
        if others:
            say(f"note: the village's cluster synced by itself: {others}")
    return run.status
