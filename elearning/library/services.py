"""Writes of the offline library: which ZIM archives of ``LIBRARY_DIR`` kiwix-serve serves.

The folder is the source of truth: a technician drops ``*.zim`` files into it (or runs
``manage.py library_add PATH``), and :func:`library_scan` (the django-q2 schedule every minute,
``scripts/run`` at start, the command) checks each new or changed file once and rewrites
``library.xml`` from the files that passed. kiwix-serve watches that file (``--monitorLibrary``)
and serves the new set within a second. A file that fails is never written into the library,
so kiwix-serve never opens it; the reason is kept in the state file for the command and the
log. The XML is built in a temporary file and renamed over the old one, so kiwix-serve never
reads half of it.
"""

import fcntl
import json
import logging
import os
import re
import shutil
import tempfile
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.utils.translation import gettext as _

from hub.core import pagecache

from . import kiwix
from .zim import ZimInvalid, zim_validate

logger = logging.getLogger(__name__)

LIBRARY_XML = "library.xml"
STATE_FILE = ".balai-library.json"
LOCK_FILE = ".balai-library.lock"
EMPTY_LIBRARY = '<library version="20110515">\n</library>\n'
# what kiwix-serve turns into a URL segment: keep names plain
ARCHIVE_NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,120}\.zim$")


@dataclass(frozen=True)
class ScanResult:
    served: list[str]
    refused: dict[str, str]
    changed: bool


def library_dir() -> Path:
    return Path(settings.LIBRARY_DIR)


def library_xml_path() -> Path:
    return library_dir() / LIBRARY_XML


@contextmanager
def _locked():
    """One scan at a time per hub: the cluster's schedule and a technician's command may meet."""
    folder = library_dir()
    folder.mkdir(parents=True, exist_ok=True)
    with (folder / LOCK_FILE).open("a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield folder
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def _state_read(folder: Path) -> dict:
    try:
        state = json.loads((folder / STATE_FILE).read_text(encoding="utf-8"))
    except (FileNotFoundError, ValueError):
        return {"files": {}, "library": []}
    if not isinstance(state, dict):
        return {"files": {}, "library": []}
    state.setdefault("files", {})
    state.setdefault("library", [])
    return state


def _atomic_write(path: Path, text: str) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}-")
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(text)
    os.chmod(tmp, 0o644)
    os.replace(tmp, path)


def _name_refused(name: str) -> str:
    return _(
        "Nama berkas %(name)s tidak bisa dipakai: hanya huruf, angka, titik, garis bawah dan "
        "tanda hubung, diakhiri .zim."
    ) % {"name": name}


def _archive_check(folder: Path, path: Path) -> str:
    """'' when ``path`` may be served, else why not (in words for a technician)."""
    if not ARCHIVE_NAME_RE.match(path.name):
        return _name_refused(path.name)
    try:
        zim_validate(path)
    except ZimInvalid as exc:
        return str(exc)
    # libzim itself, in kiwix-manage's process, on a scratch library
    with tempfile.TemporaryDirectory(dir=folder, prefix=".check-") as scratch:
        try:
            kiwix.manage_add(Path(scratch) / LIBRARY_XML, path)
        except ValueError as exc:
            return str(exc)
    return ""


def _zim_files(folder: Path) -> dict[str, os.stat_result]:
    """The regular ``*.zim`` files of the folder (not hidden ones, which are copies under way,
    nor symlinks, which could point anywhere on the hub)."""
    found = {}
    with os.scandir(folder) as entries:
        for entry in entries:
            if (
                entry.name.endswith(".zim")
                and not entry.name.startswith(".")
                and entry.is_file(follow_symlinks=False)
            ):
                found[entry.name] = entry.stat(follow_symlinks=False)
    return found


def library_scan() -> ScanResult:
    """Check new or changed archives of the folder, then rewrite ``library.xml`` if the set of
    archives to serve changed. Each file is checked once per (size, mtime)."""
    with _locked() as folder:
        state = _state_read(folder)
        known = state["files"]
        files = _zim_files(folder)
        verdicts = {}
        for name, stat in sorted(files.items()):
            seen = known.get(name)
            if seen and seen.get("size") == stat.st_size and seen.get("mtime") == stat.st_mtime_ns:
                verdicts[name] = seen
                continue
            error = _archive_check(folder, folder / name)
            if error:
                logger.warning("library: %s refused: %s", name, error)
            else:
                logger.info("library: %s accepted", name)
            verdicts[name] = {"size": stat.st_size, "mtime": stat.st_mtime_ns, "error": error}
        served = sorted(name for name, verdict in verdicts.items() if not verdict["error"])
        wanted = [[name, verdicts[name]["size"], verdicts[name]["mtime"]] for name in served]
        xml = folder / LIBRARY_XML
        changed = wanted != state["library"] or not xml.exists()
        if changed:
            _library_write(folder, served)
        state = {"files": verdicts, "library": wanted}
        _atomic_write(folder / STATE_FILE, json.dumps(state, indent=1))
    if changed:
        # the Perpustakaan page and the home page's entry show what is served
        pagecache.invalidate()
    refused = {name: v["error"] for name, v in verdicts.items() if v["error"]}
    return ScanResult(served=served, refused=refused, changed=changed)


def _library_write(folder: Path, names: list[str]) -> None:
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=".library-", suffix=".xml")
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(EMPTY_LIBRARY)
    try:
        for name in names:
            kiwix.manage_add(Path(tmp), folder / name)
        os.chmod(tmp, 0o644)
        os.replace(tmp, folder / LIBRARY_XML)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def archive_add(*, source: Path, replace: bool = False) -> ScanResult:
    """Copy the ZIM at ``source`` into the library and serve it.

    The file is checked before anything is copied: a bad one raises ``ValueError`` with the
    reason and leaves the library as it was. The copy lands under a hidden name first (the scan
    skips those) and is renamed into place once complete.
    """
    source = Path(source)
    if not source.is_file():
        raise ValueError(_("Berkas %(path)s tidak ada.") % {"path": source})
    if not ARCHIVE_NAME_RE.match(source.name):
        raise ValueError(_name_refused(source.name))
    folder = library_dir()
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / source.name
    if target.exists() and not replace:
        raise ValueError(
            _("Arsip %(name)s sudah ada di perpustakaan (pakai --replace untuk menggantinya).")
            % {"name": source.name}
        )
    error = _archive_check(folder, source)
    if error:
        raise ValueError(error)
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=f".{source.name}-")
    os.close(fd)
    try:
        shutil.copyfile(source, tmp)
        os.chmod(tmp, 0o644)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    result = library_scan()
    if source.name not in result.served:
        # the copy differs from what was checked (the disk filled up, the stick was pulled)
        raise ValueError(result.refused.get(source.name, _("Arsip tidak bisa dipakai.")))
    return result


def library_prepare() -> None:
    """The folder and a library.xml (empty if need be) for kiwix-serve to start on."""
    folder = library_dir()
    folder.mkdir(parents=True, exist_ok=True)
    if not (folder / LIBRARY_XML).exists():
        _atomic_write(folder / LIBRARY_XML, EMPTY_LIBRARY)
