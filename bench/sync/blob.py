"""The sync bench's part 3: a big blob, cut at half on the way down and resumed."""

from tests.harness.linksim import LinkSim

from ..common import MB, BenchError, agent_step, kb, say
from .common import SYNC_PATHS, TARGET_RESEND_BYTES, Results, measured, sync_once

STEPS = "bench.sync.steps"


def bench_blob(
    results: Results, v, u, link: LinkSim, upstream, village, side: int, kbps: float
) -> None:
    say(f"blob: a {side} × {side} noise PNG on the upstream, announced to the region")
    blob = agent_step(u, f"{STEPS}:blob_make", side=side)
    sha, size = blob["sha"], blob["size"]
    partial_path = village.data_dir / "blobs-partial" / f"{sha}.part"
    cut_at = size // 2
    missing_upstream = None
    # A rate, however generous: unpaced, linksim hands bytes to the kernel faster than the
    # village writes them to disk, and the RST of the cut throws away what sits in the socket
    # buffers (megabytes on loopback), which the link has counted as sent.
    link.configure(cut_after_bytes=cut_at, bandwidth_kbps=kbps)
    try:
        with measured(link, upstream) as first_m:
            first = sync_once(v)
        if first_m["cuts"] == 0 and "404" in first["error"]:
            missing_upstream = first["error"]
            say(
                f"blob: the upstream answered 404 for its own image ({first['error'][:90]}): "
                "nothing put the file in its blob store; putting it there to go on measuring"
            )
            agent_step(u, f"{STEPS}:blob_store", image=blob["image"])
            link.configure(cut_after_bytes=cut_at)  # re-arm
            with measured(link, upstream) as first_m:
                first = sync_once(v)
        partial = partial_path.stat().st_size if partial_path.exists() else 0
        say(
            f"blob: first sync {first['outcome']} ({first['error'][:80]}); the link carried "
            f"{first_m['bytes_down']:,} B down, the partial file holds {partial:,} B"
        )
        if first["outcome"] == "ok" or first_m["cuts"] != 1:
            raise BenchError(f"the link did not cut the download: {first_m}, {first}")
        with measured(link, upstream) as second_m:
            second = sync_once(v)
    finally:
        link.configure(cut_after_bytes=None, bandwidth_kbps=None)
    if second["outcome"] != "ok":
        raise BenchError(f"the resumed sync failed: {second['error']}")
    attached = agent_step(v, f"{STEPS}:blob_attached", pk=blob["announcement"], sha=sha)
    if not (attached["blob"] and attached["image_sha"] == sha):
        raise BenchError(f"the blob did not arrive or was not attached: {attached}")
    remaining = size - partial
    extra = second_m["bytes_down"] - remaining
    lost_in_cut = first_m["bytes_down"] - partial
    blob_requests = [
        line for line in second_m["requests"] if any(f"{p}blobs/" in line for p in SYNC_PATHS)
    ]
    results.data["blob"] = {
        "sha256": sha,
        "size": size,
        "upstream_answered_404_for_its_own_image": missing_upstream,
        "cut_after_bytes": cut_at,
        "bandwidth_kbps": kbps,
        "first": {
            "run": first,
            "link": {k: first_m[k] for k in ("connections", "bytes_up", "bytes_down", "cuts")},
        },
        "partial_bytes": partial,
        "delivered_but_not_kept": lost_in_cut,
        "second": {
            "run": second,
            "link": {k: second_m[k] for k in ("connections", "bytes_up", "bytes_down")},
            "requests": len(second_m["requests"]),
            "blob_requests": len(blob_requests),
        },
        "remaining": remaining,
        "resent_beyond_arrived": extra,
        "attached": attached,
    }
    results.add(
        f"{size / MB:.1f} MB blob cut at half: re-sent beyond what had arrived",
        (
            "upstream 404 for its own image, file put in its store by hand; then "
            if missing_upstream
            else ""
        )
        + f"{kb(extra)}: {second_m['bytes_down']:,} B down for the {remaining:,} B missing "
        f"(the whole second sync, HTTP headers and its push answer included; the cut run's "
        f"link counted {kb(lost_in_cut)} more than the partial file kept)",
        f"≤ {kb(TARGET_RESEND_BYTES)}",
        extra <= TARGET_RESEND_BYTES,
    )
