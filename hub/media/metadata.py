"""What an image file carries besides its pixels: EXIF (GPS position, camera, owner's name,
time), XMP, IPTC and comments. A villager's phone photo of a product carries where the house is;
the hub keeps none of it.

Where it is stripped, and why there (the hash question): images travel between hubs by the
SHA-256 of their file, and the blob store, its garbage collection and a relay through the
upstream all need the stored file to *be* those bytes. So

- the hub where an image is uploaded (its owner) strips it before the hash is taken:
  :func:`hub.media.services.image_from_file` and the admin's upload field
  (:class:`hub.media.forms.BoundedPixelsImageField`); the clean bytes are what the SHA-256 names
  and what travels;
- a hub receiving a blob that still carries metadata (sent by a hub from before this rule)
  strips it too and names the stored image by the clean file's hash, remembering the hash it
  arrived under (``BalaiImage.source_sha256``) so the engine still finds the record by the
  sender's reference. It does not refuse the record: the product would vanish from the village
  for what its owner's older hub did. What it passes on (to another village through the
  upstream) is the clean file under its own hash.

Orientation is applied to the pixels (a phone photo stored sideways with an "orientation" tag
would otherwise turn sideways once the tag is gone); the colour profile (ICC) is kept, it is not
about anyone.
"""

import io
from typing import IO

from PIL import Image as PILImage
from PIL import ImageOps

# image.info keys that are metadata about the photo or its author (Pillow's names).
_INFO_KEYS = ("exif", "xmp", "XML:com.adobe.xmp", "photoshop", "comment", "iptc", "Comment")
# Formats that are rewritten when they carry metadata. A GIF carries at most a comment and
# re-saving an animation is lossy: it is stored as it came.
_REWRITTEN = ("JPEG", "PNG", "WEBP")
ORIENTATION = 0x0112


def carried_metadata(image: PILImage.Image) -> list[str]:
    """The kinds of metadata an opened image carries (empty: none worth removing)."""
    found = []
    exif = image.getexif()
    if len(exif):
        found.append("exif")
        if exif.get_ifd(0x8825):  # the GPS IFD
            found.append("gps")
    found += [key for key in _INFO_KEYS if image.info.get(key) and key != "exif"]
    text = getattr(image, "text", None)  # PNG tEXt/iTXt/zTXt chunks
    if text:
        found.append("text")
    return found


def strip_metadata(file: IO[bytes]) -> bytes | None:
    """The image's bytes without its metadata, orientation applied; ``None`` when there is
    nothing to strip (the file stays as it is, byte for byte, so its hash does not change).

    The file is left at its start. Raises what Pillow raises for bytes that are no image
    (callers check the format first).
    """
    file.seek(0)
    try:
        with PILImage.open(file) as image:
            kind = image.format
            if kind not in _REWRITTEN or getattr(image, "n_frames", 1) > 1:
                return None
            if not carried_metadata(image):
                return None
            orientation = image.getexif().get(ORIENTATION, 1)
            icc = image.info.get("icc_profile")
            image.load()
            options: dict = {"icc_profile": icc} if icc else {}
            if orientation not in (None, 1):
                clean = ImageOps.exif_transpose(image)
                if kind == "JPEG":
                    options["quality"] = 90
            else:
                clean = image
                if kind == "JPEG":
                    # the same quantisation tables: as close to the original as a re-save gets
                    options.update(quality="keep", subsampling="keep")
            if kind == "WEBP":
                options.update(quality=90, lossless=bool(image.info.get("lossless")))
            if kind == "JPEG" and clean.mode not in ("RGB", "L", "CMYK"):
                clean = clean.convert("RGB")
            # nothing of the original's info (EXIF, XMP, comments, text) is written again
            # (PNG text chunks are written only from a pnginfo argument, never given here)
            clean.info = {}
            out = io.BytesIO()
            clean.save(out, format=kind, **options)
    finally:
        file.seek(0)
    return out.getvalue()


def stripped_file(file: IO[bytes]) -> IO[bytes]:
    """``file`` itself when it carries no metadata, else an in-memory file of the clean bytes."""
    clean = strip_metadata(file)
    return file if clean is None else io.BytesIO(clean)


__all__ = ["carried_metadata", "strip_metadata", "stripped_file"]
