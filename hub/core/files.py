"""File-system helpers every app shares: a rename or a new file made durable (the blob store,
the bundle writer, the offline library, the certificate files)."""

import errno
import os
from pathlib import Path

# errors of a filesystem that cannot sync a directory at all (vfat on a USB stick)
_NO_DIRECTORY_SYNC = {errno.EINVAL, errno.EOPNOTSUPP, errno.ENOTSUP}


def fsync_dir(path: str | Path) -> None:
    """Make a rename or a new file in ``path`` durable: a power cut must not lose it.

    A filesystem that cannot sync a directory (vfat) is let be: the file itself was synced.
    """
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    try:
        os.fsync(fd)
    except OSError as exc:
        if exc.errno not in _NO_DIRECTORY_SYNC:
            raise
    finally:
        os.close(fd)
