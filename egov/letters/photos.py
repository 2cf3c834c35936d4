"""Photos of documents sent with a request: checked, re-encoded without metadata, kept private.

A photo is opened with Pillow only after its header says it is a JPEG, PNG or WebP no larger
than ``attachment_max_pixels``; it is then decoded, turned upright by its EXIF orientation,
scaled down and saved again as a new JPEG from the pixels alone, so no EXIF (GPS position,
phone model), XMP, ICC comment or trailing data survives. The file goes under the private data
directory (``conf.private_dir()``), which no web server serves.
"""

import io
import os
import uuid
from dataclasses import dataclass
from pathlib import Path

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from PIL import Image, ImageOps, UnidentifiedImageError

from . import conf

ACCEPTED_FORMATS = {"JPEG", "PNG", "WEBP"}
JPEG_QUALITY = 82


@dataclass(frozen=True)
class CleanPhoto:
    data: bytes
    width: int
    height: int


def photo_clean(data: bytes, *, label: str) -> CleanPhoto:
    """The photo re-encoded as a metadata-free JPEG; ValidationError for anything else."""
    if len(data) > conf.attachment_max_bytes():
        raise ValidationError(
            _("%(label)s terlalu besar (paling besar %(mb)d MB).")
            % {"label": label, "mb": conf.attachment_max_bytes() // (1024 * 1024)},
            code="size",
        )
    if not data:
        raise ValidationError(_("%(label)s kosong.") % {"label": label}, code="empty")
    try:
        with Image.open(io.BytesIO(data)) as probe:
            fmt = probe.format
            width, height = probe.size
    except Image.DecompressionBombError:
        raise ValidationError(
            _("%(label)s: ukuran gambar terlalu besar.") % {"label": label}, code="pixels"
        ) from None
    except (UnidentifiedImageError, OSError, ValueError):
        raise ValidationError(
            _("%(label)s bukan foto (JPEG, PNG atau WebP).") % {"label": label}, code="type"
        ) from None
    if fmt not in ACCEPTED_FORMATS:
        raise ValidationError(
            _("%(label)s harus foto JPEG, PNG atau WebP.") % {"label": label}, code="type"
        )
    if width * height > conf.attachment_max_pixels() or width < 1 or height < 1:
        raise ValidationError(
            _("%(label)s: ukuran gambar %(w)d × %(h)d piksel terlalu besar.")
            % {"label": label, "w": width, "h": height},
            code="pixels",
        )
    try:
        with Image.open(io.BytesIO(data)) as image:
            image.load()
            upright = ImageOps.exif_transpose(image)
            pixels = upright.convert("RGB")
    except (OSError, ValueError, SyntaxError, Image.DecompressionBombError):
        raise ValidationError(
            _("%(label)s rusak atau terpotong; foto ulang dan kirim lagi.") % {"label": label},
            code="broken",
        ) from None
    side = conf.attachment_max_side()
    if max(pixels.size) > side:
        pixels.thumbnail((side, side), Image.Resampling.LANCZOS)
    # a new image from the pixels alone: nothing of the original file's metadata comes along
    clean = Image.new("RGB", pixels.size)
    clean.paste(pixels)
    out = io.BytesIO()
    clean.save(out, "JPEG", quality=JPEG_QUALITY, optimize=True)
    return CleanPhoto(data=out.getvalue(), width=clean.width, height=clean.height)


def private_path(relative: str) -> Path:
    root = conf.private_dir().resolve()
    path = (root / relative).resolve()
    if root not in path.parents:
        raise ValueError("path outside the private directory")
    return path


def private_write(*, folder: str, suffix: str, data: bytes) -> str:
    """Write ``data`` under the private directory; the path relative to it."""
    relative = f"{folder}/{uuid.uuid4().hex}{suffix}"
    path = private_path(relative)
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o750)
    tmp = path.with_suffix(path.suffix + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.replace(tmp, path)
    except BaseException:
        # a full disk (ENOSPC) must not leave a half-written photo behind
        tmp.unlink(missing_ok=True)
        raise
    return relative


def private_read(relative: str) -> bytes:
    return private_path(relative).read_bytes()


def private_delete(relative: str) -> None:
    if relative:
        private_path(relative).unlink(missing_ok=True)
