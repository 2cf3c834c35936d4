"""What Balai checks of a ZIM file before kiwix-serve may see it, read with Python alone.

The ZIM format (https://wiki.openzim.org/wiki/ZIM_file_format) starts with an 80-byte header of
little-endian integers and ends with the MD5 of everything before it. A truncated copy (a USB
stick pulled early, a download cut) has the wrong size for its header; a damaged one fails the
checksum; a hostile one points outside itself. Any of these is refused here, before kiwix-manage
or kiwix-serve open it. Nothing of libzim is imported: it is GPL, and it is what we protect.
"""

import hashlib
import struct
from dataclasses import dataclass
from pathlib import Path

from django.utils.translation import gettext as _

MAGIC = 0x044D495A
HEADER = struct.Struct("<IHH16sIIQQQQIIQ")
CHECKSUM_BYTES = 16
SUPPORTED_MAJOR = (5, 6)
NO_MAIN_PAGE = 0xFFFFFFFF
NO_TITLE_INDEX = (0, 0xFFFFFFFFFFFFFFFF)
READ_CHUNK = 1024 * 1024


class ZimInvalid(ValueError):
    """The file is not a ZIM archive kiwix-serve may be given; the message says why."""


@dataclass(frozen=True)
class ZimHeader:
    major: int
    minor: int
    uuid: str
    entry_count: int
    cluster_count: int
    checksum_pos: int
    size: int


def zim_header_read(path: Path) -> ZimHeader:
    """The header of ``path`` when it is self-consistent and matches the file's size."""
    try:
        size = path.stat().st_size
        with path.open("rb") as handle:
            raw = handle.read(HEADER.size)
    except OSError as exc:
        raise ZimInvalid(
            _("Berkas %(name)s tidak bisa dibaca: %(error)s.")
            % {"name": path.name, "error": exc.strerror or exc}
        ) from exc
    if len(raw) < 4 or struct.unpack_from("<I", raw)[0] != MAGIC:
        raise ZimInvalid(
            _("%(name)s bukan arsip ZIM (tanda pengenal 0x44D495A tidak ada di awal berkas).")
            % {"name": path.name}
        )
    if len(raw) < HEADER.size:
        raise ZimInvalid(
            _("Arsip ZIM %(name)s terpotong: kepalanya saja tidak lengkap.") % {"name": path.name}
        )
    (
        _magic,
        major,
        minor,
        uuid,
        entry_count,
        cluster_count,
        path_ptr_pos,
        title_ptr_pos,
        cluster_ptr_pos,
        mime_list_pos,
        main_page,
        _layout_page,
        checksum_pos,
    ) = HEADER.unpack(raw)
    if major not in SUPPORTED_MAJOR:
        raise ZimInvalid(
            _("Arsip ZIM %(name)s memakai versi %(major)d yang tidak dikenal.")
            % {"name": path.name, "major": major}
        )
    expected = checksum_pos + CHECKSUM_BYTES
    if expected != size:
        raise ZimInvalid(
            _(
                "Arsip ZIM %(name)s terpotong atau rusak: berkasnya %(size)d bait, "
                "menurut kepalanya seharusnya %(expected)d bait. Salin ulang berkasnya."
            )
            % {"name": path.name, "size": size, "expected": expected}
        )
    inside = [
        mime_list_pos >= HEADER.size and mime_list_pos < checksum_pos,
        entry_count > 0 and cluster_count > 0,
        path_ptr_pos >= HEADER.size and path_ptr_pos + 8 * entry_count <= checksum_pos,
        cluster_ptr_pos >= HEADER.size and cluster_ptr_pos + 8 * cluster_count <= checksum_pos,
        title_ptr_pos in NO_TITLE_INDEX
        or (title_ptr_pos >= HEADER.size and title_ptr_pos + 4 * entry_count <= checksum_pos),
        main_page == NO_MAIN_PAGE or main_page < entry_count,
    ]
    if not all(inside):
        raise ZimInvalid(
            _("Arsip ZIM %(name)s rusak: kepalanya menunjuk ke luar berkas.") % {"name": path.name}
        )
    return ZimHeader(
        major=major,
        minor=minor,
        uuid=uuid.hex(),
        entry_count=entry_count,
        cluster_count=cluster_count,
        checksum_pos=checksum_pos,
        size=size,
    )


def zim_checksum_verify(path: Path, header: ZimHeader) -> None:
    """Compare the MD5 stored at the end of the file with the bytes before it (one pass over the
    whole file: minutes for a multi-GB archive on an SD card, so done once per file, in the
    background or by the technician's command, never in a request)."""
    digest = hashlib.md5(usedforsecurity=False)
    remaining = header.checksum_pos
    try:
        with path.open("rb") as handle:
            while remaining:
                chunk = handle.read(min(READ_CHUNK, remaining))
                if not chunk:
                    break
                digest.update(chunk)
                remaining -= len(chunk)
            stored = handle.read(CHECKSUM_BYTES)
    except OSError as exc:
        raise ZimInvalid(
            _("Berkas %(name)s tidak bisa dibaca: %(error)s.")
            % {"name": path.name, "error": exc.strerror or exc}
        ) from exc
    if remaining or stored != digest.digest():
        raise ZimInvalid(
            _("Arsip ZIM %(name)s rusak: checksum MD5-nya tidak cocok. Salin ulang berkasnya.")
            % {"name": path.name}
        )


def zim_validate(path: Path) -> ZimHeader:
    """The header of a ZIM whose structure and checksum are sound, else :class:`ZimInvalid`."""
    header = zim_header_read(path)
    zim_checksum_verify(path, header)
    return header
