"""`scripts/bench sync` (``python -m bench sync``): the sync engine measured against the
project's targets, real processes.

Run through ``scripts/bench sync`` (it installs and starts PostgreSQL when missing, as
``scripts/test`` does, and exports ``HUB_TEST_PG_*``). The nodes are those of the multi-process
sync tests (:mod:`tests.harness.hubs`): an upstream under gunicorn with 2 workers on its own
PostgreSQL database, a village under ``scripts/run`` (gunicorn + the django-q2 cluster on
SQLite), an agent process per node to act on its database, and ``scripts/linksim`` between the
village and the upstream, whose counters are the bytes that really crossed the link.

Order of work:

1. the upstream, the link (no latency) and the village are started; the village syncs once;
2. idle sync: one more sync with nothing to do; requests, new connections and bytes each way;
3. a ~20 MB image made on the upstream for an announcement to the village's region; the
   village syncs through a link that cuts once after half of it, then syncs again and resumes;
4. SQL queries of one idle push, in-process on the upstream's PostgreSQL database;
5. 20 enrolled villages push idle syncs at the upstream (directly, no link) for 20 s;
6. 10,000 announcements of realistic size (a title and three paragraphs, as in 7) made in
   the village, the reference (the same records as zstd NDJSON) made in the village agent,
   then one sync through the link at 2 Mbit/s and 600 ms round trip (the push is pipelined:
   the next batch crosses the link while the upstream applies the one before).
   Late, because a push that fails leaves the upstream busy with its batch for a while;
7. 5,000 announcements of realistic size (three paragraphs) made in the village, then synced
   (runs until one succeeds) through a link that cuts every connection after a random 20-60 KB;
   the bytes that crossed against the same records as zstd NDJSON, and whether they converged.

What each figure means and the results of a full run are in docs/benchmarks.md.

The package: :mod:`.run` (the order of work above, the idle sync), :mod:`.link` (the pushes
through the link), :mod:`.blob`, :mod:`.upstream` (queries and load on the upstream),
:mod:`.common` (targets, nodes, results), :mod:`.timeline` (a push's steps from the logs) and
:mod:`.steps`, the Django-side steps each node's agent process runs (importable functions,
called through the agent's ``call``).
"""


def main(argv: list[str]) -> int:
    # imported when run: the agents import bench.sync.steps, which needs none of the runner
    from .run import main as run_main

    return run_main(argv)
