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
import shutil
import tempfile
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.core.files import File
from django.db import transaction
from django.utils.translation import gettext as _

from hub.core import pagecache
from hub.core.files import fsync_dir
from hub.core.roles import is_upstream
from hub.media.files import file_sha256

from . import kiwix
from .models import ARCHIVE_NAME_RE, LibraryArchive
from .zim import ZimInvalid, zim_validate

logger = logging.getLogger(__name__)

LIBRARY_XML = "library.xml"
STATE_FILE = ".balai-library.json"
LOCK_FILE = ".balai-library.lock"
EMPTY_LIBRARY = '<library version="20110515">\n</library>\n'
COPY_CHUNK = 1024 * 1024


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
    _newer_by_a_second(Path(tmp), path)
    os.replace(tmp, path)


def _newer_by_a_second(new: Path, old: Path) -> None:
    """Gives ``new`` a modification time at least one whole second after ``old``'s.

    kiwix-serve (``--monitorLibrary``) reloads library.xml when its modification time in whole
    seconds grows: two writes within one second (a scan right after an archive arrived, or
    after the folder was prepared) would leave it serving the first one until the next change.
    """
    try:
        before = int(old.stat().st_mtime)
    except FileNotFoundError:
        return
    now = new.stat().st_mtime
    if int(now) <= before:
        os.utime(new, (now, before + 1))


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
        _newer_by_a_second(Path(tmp), folder / LIBRARY_XML)
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


# Archives published by the upstream (models.LibraryArchive), delivered by the sync engine.


def archive_publish(
    *,
    path: Path,
    title: str,
    licence: str,
    source: str,
    description: str = "",
    region: str = "",
):
    """Publish the ZIM at ``path`` to the villages of ``region`` (the upstream's whole region
    when empty): checked as a village checks it (header, size, MD5), stored, and recorded; the
    sync engine sends the record, and the file as a blob in the bulk window or in a bundle. A
    newer edition under the same file name replaces the older one everywhere. A bad file raises
    ``ValueError`` and changes nothing."""
    if not is_upstream():
        raise ValueError(
            _("Arsip diterbitkan dari server upstream; di hub desa pakai library_add.")
        )
    path = Path(path)
    if not path.is_file():
        raise ValueError(_("Berkas %(path)s tidak ada.") % {"path": path})
    if not ARCHIVE_NAME_RE.match(path.name):
        raise ValueError(_name_refused(path.name))
    zim_validate(path)
    archive = next(
        (a for a in LibraryArchive.objects.filter(name=path.name) if a.is_local),
        None,
    ) or LibraryArchive(name=path.name)
    old_file = archive.file.name if archive.file else ""
    archive.title, archive.licence, archive.source = title, licence, source
    archive.description, archive.region = description, region
    with path.open("rb") as handle:
        archive.sha256, archive.size = file_sha256(handle)
        archive.full_clean(exclude=["file"])
        with transaction.atomic():
            archive.file.save(path.name, File(handle, name=path.name), save=False)
            archive.save()
            if old_file:
                storage = archive.file.storage
                transaction.on_commit(lambda: storage.delete(old_file))
    return archive


def _blob_path(blob) -> str | None:
    """The path on local disk of the blob store's open file, when it has one (a Django File over
    a real file: the store on the hub's disk)."""
    name = getattr(getattr(blob, "file", None), "name", None)
    if isinstance(name, str) and os.path.isabs(name) and os.path.isfile(name):
        return name
    return None


def archive_place(*, name: str, blob) -> None:
    """Put an archive that arrived by sync (``blob``, the engine's verified file) into the
    library folder as ``name``, whole or not at all; the next scan checks and serves it.

    The file is a hard link to the blob where the store is on the same filesystem (the normal
    layout, both under the data directory): no second copy of gigabytes on the SD card, and
    nothing copied while the sync's transaction holds the database. Else it is copied. Either
    way it lands under a hidden name (the scan skips those) and is renamed into place.
    """
    if not ARCHIVE_NAME_RE.match(name):
        raise ValueError(_name_refused(name))
    folder = library_dir()
    folder.mkdir(parents=True, exist_ok=True)
    tmp = folder / f".{name}-{os.urandom(6).hex()}"
    try:
        source = _blob_path(blob)
        linked = False
        if source is not None:
            try:
                os.link(source, tmp)
                linked = True
            except OSError:
                pass  # another filesystem, or one without hard links
        if not linked:
            blob.seek(0)
            with tmp.open("wb") as out:
                shutil.copyfileobj(blob, out, COPY_CHUNK)
                out.flush()
                os.fsync(out.fileno())
            os.chmod(tmp, 0o644)
        os.replace(tmp, folder / name)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    fsync_dir(folder)  # the rename survives a power cut (a Pi on solar power loses it)


def archive_withdraw(*, name: str, size: int) -> bool:
    """Remove a withdrawn archive's file from the library folder, then rescan; True if removed.

    Only a file of the record's size goes: one a technician has since put there under the same
    name (another edition, another size) is his and stays."""
    target = library_dir() / name
    try:
        if not ARCHIVE_NAME_RE.match(name) or target.stat().st_size != size:
            return False
    except FileNotFoundError:
        return False
    target.unlink()
    library_scan()
    return True
