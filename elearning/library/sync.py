"""How published library archives sync (registered from ``LibraryConfig.ready()``; engine public
API only).

A :class:`~.models.LibraryArchive` goes down to its ``region`` (or the upstream's whole region);
its ZIM file travels as a blob by SHA-256, verified by the engine before it is handed over, with
the lowest priority of all (behind pictures and course videos: an archive can be gigabytes) and
so only in the bulk window and within the month's quota, or in a bundle. On arrival the village
places it in its library folder under the record's name and rescans; kiwix-serve serves it once
the scan's own checks (header, MD5, kiwix-manage) pass.
"""

from django.db import transaction

from hub.core.roles import is_upstream
from hub.media.files import hash_name
from hub.sync.registry import FileAdapter, default_audience, register

from .models import LibraryArchive

ZIM_TYPE = "application/x-zim"
# lower goes first when blobs compete for the link: pictures 4, course media 50, archives last
ARCHIVE_BLOB_PRIORITY = 90


def archive_audience(archive: LibraryArchive) -> str | None:
    audience = default_audience(archive)
    if audience is None or not archive.region:
        return audience
    return archive.region


class ZimArchiveAdapter(FileAdapter):
    """The archive's file, named by the record's ``sha256`` / ``size`` columns.

    On the upstream the file is the record's ``file``; on a village it is ``<library>/<name>``
    (there ``file`` stays empty), so it is served from where kiwix-serve reads it."""

    def to_wire(self, obj, field_name):
        if not obj.sha256:
            return None
        return {
            "sha256": obj.sha256,
            "size": obj.size,
            "meta": {"name": obj.name, "type": ZIM_TYPE},
        }

    def open(self, obj, field_name):
        if obj.file:
            return obj.file.open("rb")
        from .services import library_dir

        return (library_dir() / obj.name).open("rb")

    def referring(self, model, field_name, sha):
        return model._base_manager.filter(sha256=sha)

    def shas(self, model, field_name):
        # kept in the blob store on villages too: it is a hard link to the library's file
        # (no space), and without it a record's next revision would fetch the file again
        return set(model._base_manager.exclude(sha256="").values_list("sha256", flat=True))

    def attach(self, obj, field_name, ref, blob):
        if ref is None:
            obj.sha256, obj.size = "", 0
            return
        sha, size = hash_name(str(ref.get("sha256"))), ref.get("size")
        if not isinstance(size, int) or size < 0:
            raise ValueError(f"{obj.name}: no size")
        placed = obj.sha256 == sha and self._in_library(obj)
        obj.sha256, obj.size = sha, size
        if blob is None or placed or is_upstream():
            return
        from .services import archive_place

        archive_place(name=obj.name, blob=blob)
        transaction.on_commit(_scan_later)

    @staticmethod
    def _in_library(obj) -> bool:
        from .services import library_dir

        path = library_dir() / obj.name
        return path.is_file() and path.stat().st_size == obj.size


def _scan_later() -> None:
    from django_q.tasks import async_task

    # minutes for a multi-GB archive's MD5: in the cluster, never in the sync's own run
    async_task("elearning.library.tasks.library_scan_task", task_name="library-scan")


def register_synced_models():
    register(
        LibraryArchive,
        owner="upstream",
        audience=archive_audience,
        files={"archive": ZimArchiveAdapter()},
        exclude=("file", "sha256", "size"),
        blob_priority=ARCHIVE_BLOB_PRIORITY,
    )
