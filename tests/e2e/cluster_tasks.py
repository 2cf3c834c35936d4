"""Tasks the cluster test (test_cluster.py) enqueues into a real ``qcluster``: each writes what
its worker saw to ``<folder>/<tag>.json``, so the test reads it without Django."""

import json
import os
import resource
import time
from pathlib import Path


def _peak_rss_kb() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def report(folder: str, tag: str) -> int:
    """Write this worker's pid and peak RSS."""
    info = {"tag": tag, "pid": os.getpid(), "peak_rss_kb": _peak_rss_kb(), "at": time.time()}
    path = Path(folder) / f"{tag}.json"
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(info))
    tmp.replace(path)
    return info["pid"]


def grow_past_max_rss(folder: str, tag: str) -> int:
    """Touch enough memory to take this worker's peak RSS 8 MB past ``max_rss``, as a worker
    that decoded a big photo would."""
    from django_q.conf import Conf

    missing_kb = Conf.MAX_RSS - _peak_rss_kb() + 8 * 1024
    ballast = b"\x01" * max(missing_kb, 0) * 1024
    pid = report(folder, tag)
    del ballast
    return pid


def sleep_then_report(folder: str, tag: str, seconds: float) -> int:
    """Say it started (``<tag> started``), work for ``seconds`` (killed first when its timeout
    is shorter), then report."""
    report(folder, f"{tag} started")
    time.sleep(seconds)
    return report(folder, tag)
