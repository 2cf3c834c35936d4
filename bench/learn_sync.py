"""`scripts/bench learn --only sync`: a course with a 20 MB video reaches a village through the
link simulator in the bulk window only, resumes after a cut, and the month's quota holds it back.

Real processes, as the multi-process sync tests start them (:mod:`tests.harness.hubs`): an
upstream under gunicorn on PostgreSQL, a village under ``scripts/run``, and ``scripts/linksim``
between them at 2 Mbit/s with a 600 ms round trip (a VSAT link); the link's counters are the
bytes that crossed it. The village's syncs run in its agent process
(:mod:`bench.learn_sync_steps`), each with the bulk window and quota of its phase
(``override_settings``: the engine reads them at every run, as it reads the environment file
Ansible renders):

1. outside the bulk window: the course, its lessons and blocks come down (small data), the video
   does not; the course and lesson pages say what is still coming;
2. inside the window, with less of the month's quota left than the video needs: still only small
   data moves, the video waits;
3. inside the window with quota: the link cuts the download half-way (the sync fails, the partial
   file keeps what arrived); the next sync resumes it by HTTP Range and the video plays (the
   lesson page has its ``<video>``, a seek into its middle answers 206 from the village).

Targets: nothing of the video's size crosses in 1 and 2; the bytes down in 3 (both syncs, all
HTTP included) ≤ 1.1 × the video.
"""

import json
import re
import shutil
import subprocess
import time
from pathlib import Path

from tests.harness.hubs import VILLAGE_CODES, UpstreamNode, VillageNode
from tests.harness.linksim import LinkSim

from .common import MB, BenchError, Check, agent_step, http_get, kb, mb, say

LINK_LATENCY_MS = 600
LINK_KBPS = 2000  # 1 kbit = 1000 bits, as linksim counts
VIDEO_SECONDS = 320
VIDEO_NAME = f"testsrc-{VIDEO_SECONDS}s-480x360-500k-cbr.mp4"
TARGET_RESUME_RATIO = 1.1
# what a sync that moves only records may carry down: far below the video
SMALL_DATA_LIMIT = 1 * MB
WAITING_TEXT = "tiba setelah sinkronisasi"


def sync_video(cache: Path) -> Path:
    """A 20 MB lesson video as the upstream prepares them (H.264 main + AAC, 480×360, 492
    kbit/s, faststart), made once and cached."""
    path = cache / VIDEO_NAME
    if path.exists():
        return path
    ffmpeg = shutil.which("ffmpeg") or ""
    if not ffmpeg:
        raise BenchError("ffmpeg not found: install Debian's ffmpeg (scripts/bench does)")
    cache.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(".part.mp4")
    say(f"making the {VIDEO_SECONDS} s, 500 kbit/s test video once: {path}")
    lavfi = f"duration={VIDEO_SECONDS}"
    done = subprocess.run(
        [ffmpeg, "-v", "error", "-y",
         "-f", "lavfi", "-i", f"testsrc=size=480x360:rate=15:{lavfi}",
         "-f", "lavfi", "-i", f"sine=frequency=440:{lavfi}",
         "-c:v", "libx264", "-profile:v", "main", "-preset", "veryfast",
         # constant bit rate (filler when the picture is simple): testsrc alone would
         # compress to ~300 kbit/s, and the file would not be the 20 MB
         "-b:v", "460k", "-minrate", "460k", "-maxrate", "460k", "-bufsize", "920k",
         "-x264-params", "nal-hrd=cbr", "-pix_fmt", "yuv420p",
         "-c:a", "aac", "-b:a", "32k", "-movflags", "+faststart", str(partial)],
        capture_output=True, timeout=1800, check=False,
    )  # fmt: skip
    if done.returncode != 0:
        raise BenchError(f"ffmpeg could not make the test video:\n{done.stderr.decode()[-2000:]}")
    partial.rename(path)
    return path


def _phase(v, link: LinkSim, asset: str, *, window_open: bool, headroom: int | None) -> dict:
    link.reset_stats()
    began = time.monotonic()
    run = agent_step(
        v,
        "bench.learn_sync_steps:village_sync_run",
        timeout=900,
        window_open=window_open,
        headroom=headroom,
        asset=asset,
    )
    stats = link.wait_idle()
    run["seconds"] = round(time.monotonic() - began, 1)
    run["link"] = {k: stats[k] for k in ("connections", "bytes_up", "bytes_down", "cuts")}
    say(
        f"  sync: {run['outcome']} in {run['seconds']} s, link down {run['link']['bytes_down']:,}"
        f" B, up {run['link']['bytes_up']:,} B, video here: {run['video_here']}"
        + (f" ({run['error'][:100]})" if run["error"] else "")
    )
    return run


def _page(village: VillageNode, path: str) -> str:
    status, _headers, body = http_get(village.hub.url(path))
    if status != 200:
        raise BenchError(f"the village answered {status} for {path}")
    return body.decode()


def run_sync(results: dict, base: Path, cache: Path) -> list[Check]:
    """Start the nodes, run the three phases, return the checks (``results["sync"]``: figures)."""
    video = sync_video(cache)
    size = video.stat().st_size
    code = VILLAGE_CODES[0]
    figures: dict = {"video_bytes": size, "link": f"{LINK_KBPS} kbit/s, {LINK_LATENCY_MS} ms RTT"}
    results["sync"] = figures
    say("sync: starting the upstream (PostgreSQL, gunicorn) and linksim")
    upstream = UpstreamNode(base / "upstream")
    try:
        with LinkSim(upstream.port, latency_ms=LINK_LATENCY_MS, bandwidth_kbps=LINK_KBPS) as link:
            say(f"sync: starting the village {code} (scripts/run) behind the link")
            village = VillageNode(base, code, upstream, via_port=link.port)
            try:
                return _phases(figures, upstream, village, link, video, size)
            finally:
                village.close()
    finally:
        upstream.close()


def _phases(figures, upstream, village, link, video: Path, size: int) -> list[Check]:
    u, v = upstream.agent(), village.agent()
    say(f"sync: a course for kabupaten {village.code[:4]} with a {mb(size)} video, upstream")
    made = agent_step(
        u,
        "bench.learn_sync_steps:course_with_video_create",
        timeout=900,
        region=village.code[:4],
        path=str(video),
    )
    course_page = f"/belajar/kursus/{made['course']}/"
    lesson_page = f"/belajar/pelajaran/{made['lesson']}/"
    checks = []

    say("sync 1: outside the bulk window")
    closed = _phase(v, link, made["asset"], window_open=False, headroom=None)
    course_text = _page(village, course_page)
    lesson_text = _page(village, lesson_page)
    figures["outside_window"] = closed
    said = WAITING_TEXT in course_text + lesson_text and "<video" not in lesson_text
    checks.append(
        Check(
            "sync outside the bulk window: course came, video waits",
            f"{kb(closed['link']['bytes_down'])} down, {closed['records_down']} records, "
            f"video here: {closed['video_here']}, pages say what is coming: {said}",
            f"records only (≤ {mb(SMALL_DATA_LIMIT)}), pages say so",
            closed["asset_known"]
            and not closed["video_here"]
            and closed["records_down"] > 0
            and closed["link"]["bytes_down"] <= SMALL_DATA_LIMIT
            and said,
        )
    )

    say("sync 2: in the window, 5 MB of the month's quota left")
    quota = _phase(v, link, made["asset"], window_open=True, headroom=5 * MB)
    figures["quota_short"] = quota
    checks.append(
        Check(
            "sync in the window, quota short of the video: video waits",
            f"{kb(quota['link']['bytes_down'])} down, outcome {quota['outcome']}, "
            f"video here: {quota['video_here']}",
            f"nothing of the video (≤ {mb(SMALL_DATA_LIMIT)})",
            not quota["video_here"]
            and quota["outcome"] == "partial"
            and quota["link"]["bytes_down"] <= SMALL_DATA_LIMIT,
        )
    )

    say(f"sync 3: in the window with quota, the link cut after {mb(size // 2)}")
    link.configure(cut_after_bytes=size // 2)
    cut = _phase(v, link, made["asset"], window_open=True, headroom=10 * size)
    link.configure(cut_after_bytes=None)
    sha = closed["expected_sha"]
    partial_path = village.data_dir / "blobs-partial" / f"{sha}.part"
    partial = partial_path.stat().st_size if partial_path.exists() else 0
    say(f"  the partial file holds {partial:,} B")
    if cut["outcome"] == "ok" or cut["link"]["cuts"] != 1:
        raise BenchError(f"the link did not cut the download: {cut}")
    resumed = _phase(v, link, made["asset"], window_open=True, headroom=10 * size)
    figures.update(cut=cut, partial_bytes=partial, resumed=resumed)
    lesson_after = _page(village, lesson_page)
    src = re.search(r'<video[^>]+src="([^"]+)"', lesson_after)
    seek_status = None
    if src:
        seek_status, headers, body = http_get(
            village.hub.url(src.group(1)), {"Range": f"bytes={size // 2}-{size // 2 + 65535}"}
        )
        figures["seek"] = {"status": seek_status, "bytes": len(body), "url": src.group(1)}
    down = cut["link"]["bytes_down"] + resumed["link"]["bytes_down"]
    ratio = down / size
    figures["down_total"], figures["ratio"] = down, ratio
    checks.append(
        Check(
            "video cut at half, resumed: bytes down (both syncs) / video",
            f"{down:,} B / {size:,} B = {ratio:.3f} (partial kept {mb(partial)}; resumed in "
            f"{resumed['seconds']} s)",
            f"≤ {TARGET_RESUME_RATIO}",
            resumed["outcome"] == "ok" and resumed["video_here"] and ratio <= TARGET_RESUME_RATIO,
        )
    )
    checks.append(
        Check(
            "after the sync the lesson plays: <video>, a seek answers 206",
            f"<video>: {bool(src)}, seek: {seek_status}",
            "<video>, 206",
            bool(src) and seek_status == 206,
        )
    )
    figures["month_bytes_after"] = resumed["month_bytes"]
    say("sync: " + json.dumps({k: figures[k] for k in ("video_bytes", "down_total", "ratio")}))
    return checks
