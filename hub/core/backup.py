"""A village hub's database as it goes into a backup, and back (UU 27/2022: a lost backup
stick must not give away anyone's personal data).

:func:`snapshot_write` makes the snapshot ``balai-backup`` keeps:

- **one consistent copy in one step**: ``VACUUM INTO`` reads the live database in a single
  read transaction (writers go on in the WAL; the copy is the database as of one moment) and
  writes a compact file;
- **sessions left out**: ``django_session`` is emptied in the copy with ``secure_delete`` and an
  in-memory journal, so no deleted page or journal on the stick still holds a session key;
- **personal data only encrypted**: every column a model lists in ``personal_fields`` (a
  buyer's name, phone, address, note) is sealed with the hub's field key (AES-256-GCM,
  :mod:`hub.core.fieldkeys`); NIK/KK columns are encrypted in the database already. The key is
  not in the snapshot: on the same hub it is ``HUB_FIELD_KEY_FILE``; on a new SD card the
  operators bring it back (``field_key.age`` opens only with their backup identity, kept in
  their vault: docs/operations.md);
- **the media it refers to**: the names of every file a file field of the copy points at, so
  ``balai-backup`` can check the media it takes match the snapshot.

:func:`snapshot_unseal` is the restore's half: it decrypts the sealed columns of a snapshot in
place (``balai-restore`` runs it on the copy before it replaces the hub's database) and refuses,
changing nothing, when the key file lacks the key the snapshot was sealed with.
"""

import re
import sqlite3
from pathlib import Path

from django.apps import apps
from django.db import models

from .fieldkeys import FieldDecryptionError, FieldKeyring

SEALED_TABLE = "balai_backup_sealed"
SEALED_PREFIX = "sealed:"
SESSION_TABLE = "django_session"


class SnapshotError(RuntimeError):
    """The snapshot cannot be written or unsealed; nothing was changed."""


def personal_columns() -> dict[str, list[str]]:
    """``{table: [column, …]}`` of every model's ``personal_fields`` (plain text columns of
    personal data; encrypted fields need no sealing)."""
    found: dict[str, list[str]] = {}
    for model in apps.get_models():
        names = getattr(model, "personal_fields", ())
        if names:
            found[model._meta.db_table] = [model._meta.get_field(n).column for n in names]
    return found


def file_columns() -> dict[str, list[str]]:
    """``{table: [column, …]}`` of every file field (images, renditions, documents, media)."""
    found: dict[str, list[str]] = {}
    for model in apps.get_models():
        if model._meta.proxy or not model._meta.managed:
            continue
        columns = [f.column for f in model._meta.concrete_fields if isinstance(f, models.FileField)]
        if columns:
            found.setdefault(model._meta.db_table, []).extend(columns)
    return found


_NAME_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def _q(name: str) -> str:
    """A table or column name, quoted; anything but a plain identifier (a snapshot's own
    bookkeeping table could have been altered) is refused."""
    if not _NAME_RE.fullmatch(name):
        raise SnapshotError(f"{name!r} is no table or column name")
    return f'"{name}"'


def _context(table: str, column: str) -> str:
    return f"backup:{table}.{column}"


def _tables(db: sqlite3.Connection) -> set[str]:
    return {row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type='table'")}


def snapshot_write(*, source: Path, target: Path, keyring: FieldKeyring) -> dict:
    """Write the backup snapshot of the SQLite database ``source`` to ``target`` (which must
    not exist). Returns what the manifest records: the sealed columns and their key id, the
    sessions left out, and the media files the snapshot refers to."""
    if target.exists():
        raise SnapshotError(f"{target} exists already")
    partial = target.with_name(target.name + ".partial")
    partial.unlink(missing_ok=True)
    live = sqlite3.connect(f"file:{source}?mode=ro", uri=True, timeout=60)
    try:
        live.execute("VACUUM INTO ?", (str(partial),))
    finally:
        live.close()
    copy = sqlite3.connect(partial, isolation_level=None)
    try:
        copy.execute("PRAGMA journal_mode=MEMORY")
        copy.execute("PRAGMA secure_delete=ON")
        tables = _tables(copy)
        copy.execute("BEGIN")
        sessions = 0
        if SESSION_TABLE in tables:
            sessions = copy.execute(f"DELETE FROM {_q(SESSION_TABLE)}").rowcount  # noqa: S608
        copy.execute(f"CREATE TABLE {_q(SEALED_TABLE)} (tbl TEXT, col TEXT, key_id TEXT)")
        sealed: dict[str, list[str]] = {}
        for table, columns in personal_columns().items():
            if table not in tables:
                continue
            for column in columns:
                context = _context(table, column)
                t, c = _q(table), _q(column)
                rows = copy.execute(
                    f"SELECT rowid, {c} FROM {t} WHERE {c} IS NOT NULL AND {c} != ''"  # noqa: S608
                ).fetchall()
                copy.executemany(
                    f"UPDATE {t} SET {c} = ? WHERE rowid = ?",  # noqa: S608
                    [
                        (SEALED_PREFIX + keyring.encrypt(str(value), context), rowid)
                        for rowid, value in rows
                    ],
                )
                copy.execute(
                    f"INSERT INTO {_q(SEALED_TABLE)} VALUES (?, ?, ?)",  # noqa: S608
                    (table, column, keyring.newest.id),
                )
                sealed.setdefault(table, []).append(column)
        media = set()
        for table, columns in file_columns().items():
            if table in tables:
                for column in columns:
                    media.update(
                        value
                        for (value,) in copy.execute(f"SELECT {_q(column)} FROM {_q(table)}")  # noqa: S608
                        if value
                    )
        copy.execute("COMMIT")
        result = copy.execute("PRAGMA integrity_check").fetchone()[0]
        if result != "ok":
            raise SnapshotError(f"the copy fails its integrity check: {result}")
        copy.execute("PRAGMA journal_mode=DELETE")
    except BaseException:
        copy.close()
        partial.unlink(missing_ok=True)
        raise
    copy.close()
    partial.rename(target)
    return {
        "sealed": sealed,
        "sealed_key_id": keyring.newest.id,
        "sessions_left_out": sessions,
        "media": sorted(media),
    }


def snapshot_unseal(*, path: Path, keyring: FieldKeyring, erase_unopenable: bool = False) -> int:
    """Decrypt the sealed personal columns of the snapshot at ``path`` in place, in one
    transaction; returns the number of values decrypted. A database with nothing sealed (an
    older backup) is left as it is. Raises :class:`SnapshotError`, changing nothing, when a
    value cannot be decrypted with ``keyring`` (the key is missing, or the value was altered);
    with ``erase_unopenable`` such values are emptied instead (the key is lost for good: the
    rest of the snapshot is restored without that personal data).
    """
    db = sqlite3.connect(path, isolation_level=None)
    try:
        if SEALED_TABLE not in _tables(db):
            return 0
        db.execute("BEGIN")
        count = 0
        try:
            sealed = db.execute(f"SELECT tbl, col, key_id FROM {_q(SEALED_TABLE)}").fetchall()  # noqa: S608
            for table, column, kid in sealed:
                if kid not in keyring.ids and not erase_unopenable:
                    raise SnapshotError(
                        f"the snapshot's personal data is sealed with field key {kid}, which "
                        f"{keyring.source or 'the key file'} lacks (docs/operations.md)"
                    )
                t, c = _q(table), _q(column)
                rows = db.execute(
                    f"SELECT rowid, {c} FROM {t} WHERE {c} LIKE ?",  # noqa: S608
                    (SEALED_PREFIX + "%",),
                ).fetchall()
                values = []
                for rowid, value in rows:
                    try:
                        plain = keyring.decrypt(
                            value[len(SEALED_PREFIX) :], _context(table, column)
                        )
                    except FieldDecryptionError as exc:
                        if not erase_unopenable:
                            raise SnapshotError(f"{table}.{column}: {exc}") from exc
                        plain = ""
                    values.append((plain, rowid))
                db.executemany(f"UPDATE {t} SET {c} = ? WHERE rowid = ?", values)  # noqa: S608
                count += len(values)
            db.execute(f"DROP TABLE {_q(SEALED_TABLE)}")
        except BaseException:
            db.execute("ROLLBACK")
            raise
        db.execute("COMMIT")
        return count
    finally:
        db.close()
