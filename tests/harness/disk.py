"""A small real file system that a test can fill up: tmpfs mounted for the test (root only).

The hub's disk-full handling is tested against real ENOSPC, not a mocked ``disk_usage``: the
test points ``DATA_DIR``/``MEDIA_ROOT`` at the mount and fills it with a ballast file.
"""

import contextlib
import errno
import os
import subprocess
import tempfile
from pathlib import Path

import pytest


@contextlib.contextmanager
def small_tmpfs(size_bytes: int):
    """A tmpfs of ``size_bytes`` mounted on a fresh directory; unmounted afterwards."""
    mountpoint = Path(tempfile.mkdtemp(prefix="balai-fulldisk-"))
    result = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size_bytes},mode=0755", "tmpfs", str(mountpoint)],
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        mountpoint.rmdir()
        pytest.fail(
            "The disk-full tests mount a small tmpfs and need root (CAP_SYS_ADMIN): "
            f"mount said {result.stderr.strip() or result.returncode!r}. Run the suite as root "
            "(the CI container is) or in a container started with --cap-add SYS_ADMIN."
        )
    try:
        yield mountpoint
    finally:
        subprocess.run(["umount", "-l", str(mountpoint)], check=False)
        with contextlib.suppress(OSError):
            mountpoint.rmdir()


def fill(mountpoint: Path, *, leave_bytes: int = 0, name: str = "ballast") -> Path:
    """Write a ballast file until only about ``leave_bytes`` are free (0: until ENOSPC)."""
    ballast = mountpoint / name
    chunk = b"\0" * 65536
    with open(ballast, "ab") as handle:
        while True:
            free = os.statvfs(mountpoint).f_bavail * os.statvfs(mountpoint).f_frsize
            if free <= leave_bytes:
                break
            try:
                handle.write(chunk[: max(4096, min(len(chunk), free - leave_bytes))])
                handle.flush()
            except OSError as exc:
                if exc.errno != errno.ENOSPC:
                    raise
                break
    return ballast
