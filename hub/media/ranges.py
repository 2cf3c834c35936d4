"""File responses that answer HTTP Range requests (RFC 9110 §14), for video and audio that must
seek on phones and for PDFs read page by page. Generic: elearning's media, egov's PDFs and the
hub's ``/media/`` view all call :func:`ranged_file_response`.

Decisions, where the RFC leaves a choice:

- **One range per response.** A request for several ranges (``bytes=0-99,200-299``) is answered
  with the whole file (200), as the RFC allows (a server MAY ignore ``Range``). Browsers seeking
  media never ask for several; the PDF readers that do take a 200. No ``multipart/byteranges``.
- **A malformed ``Range``** (not ``bytes=``, letters, ``5-1``) is ignored: 200 with the file.
- **Unsatisfiable** (the first byte at or past the end, or ``bytes=-0``): 416 with
  ``Content-Range: bytes */<size>`` and no body.
- **A zero-length file** has nothing to range: 200 with an empty body, whatever ``Range`` says
  (nginx does the same), so a player never sees an error for an empty track.
- **``If-Range``** with an ETag (or date) that no longer matches: the whole file, 200.
- The ETag is the file's size and modification time in nanoseconds (strong enough for files
  that are replaced, never edited in place); ``If-None-Match`` answers 304.

The body is the open file positioned at the range's first byte behind a reader capped at the
range's length. Django hands it to the server's ``wsgi.file_wrapper``: under gunicorn that is
``sendfile()`` of exactly ``Content-Length`` bytes from the file's position, so a stream costs
the worker no Python loop; any other server reads it in blocks.
"""

import mimetypes
import os
import re
from pathlib import Path
from urllib.parse import quote

from django.http import FileResponse, HttpResponse
from django.utils.http import http_date, parse_http_date_safe, quote_etag

RANGE_RE = re.compile(r"^\s*(\d*)\s*-\s*(\d*)\s*$")
BLOCK_SIZE = 64 * 1024


class RangeReader:
    """A binary file seen from its current position for at most ``length`` bytes.

    ``fileno()`` lets gunicorn ``sendfile()`` it (from the descriptor's position, for the
    response's Content-Length); ``read()`` serves any other server without reading past the
    range."""

    def __init__(self, handle, length: int):
        self.handle, self.remaining = handle, length

    def read(self, size: int = -1) -> bytes:
        if self.remaining <= 0:
            return b""
        if size is None or size < 0 or size > self.remaining:
            size = self.remaining
        data = self.handle.read(size)
        self.remaining -= len(data)
        return data

    def fileno(self) -> int:
        return self.handle.fileno()

    def close(self) -> None:
        self.handle.close()


def parse_range(header: str, size: int) -> tuple[int, int] | None | str:
    """The one byte range ``header`` asks of a file of ``size`` bytes, as ``(first, last)``
    inclusive; ``None`` when the header is to be ignored (malformed, several ranges, empty
    file); ``"unsatisfiable"`` for a 416."""
    unit, _sep, spec = header.partition("=")
    if unit.strip().lower() != "bytes" or not spec or size == 0:
        return None
    if "," in spec:
        return None
    match = RANGE_RE.match(spec)
    if not match:
        return None
    first_text, last_text = match.groups()
    if not first_text:
        if not last_text:
            return None
        suffix = int(last_text)
        if suffix == 0:
            return "unsatisfiable"
        return max(0, size - suffix), size - 1
    first = int(first_text)
    last = int(last_text) if last_text else size - 1
    if last_text and last < first:
        return None
    if first >= size:
        return "unsatisfiable"
    return first, min(last, size - 1)


def _etag(stat) -> str:
    return quote_etag(f"{stat.st_size:x}-{stat.st_mtime_ns:x}")


def _if_range_matches(value: str, etag: str, mtime: float) -> bool:
    value = value.strip()
    if value.startswith(('"', "W/")):
        # a weak validator never matches for If-Range (RFC 9110 §13.1.5)
        return value == etag
    since = parse_http_date_safe(value)
    return since is not None and int(mtime) <= since


def _none_match(value: str, etag: str) -> bool:
    tags = [t.strip().removeprefix("W/") for t in value.split(",")]
    return "*" in tags or etag in tags


def ranged_file_response(request, path_or_file, *, content_type=None, filename=None):
    """A response for the file ``path_or_file`` (a path, or an open binary file with a
    ``fileno``) that honours ``Range``, ``If-Range``, ``If-None-Match`` and HEAD.

    ``content_type`` defaults to a guess from the name; ``filename`` adds a
    ``Content-Disposition: inline`` with that name. The caller has already decided that the
    file may be served (path traversal, permissions)."""
    if isinstance(path_or_file, (str, os.PathLike)):
        handle = open(path_or_file, "rb")  # noqa: SIM115 - closed by the response
        name = str(path_or_file)
    else:
        handle = path_or_file
        name = str(getattr(path_or_file, "name", "") or "")
    try:
        stat = os.fstat(handle.fileno())
    except (OSError, AttributeError, ValueError):
        handle.close()
        raise
    size = stat.st_size
    etag = _etag(stat)
    if content_type is None:
        content_type = mimetypes.guess_type(filename or name)[0] or "application/octet-stream"

    def headers(response):
        response["Accept-Ranges"] = "bytes"
        response["ETag"] = etag
        response["Last-Modified"] = http_date(stat.st_mtime)
        if filename:
            response["Content-Disposition"] = (
                f"inline; filename*=UTF-8''{_quote_filename(Path(filename).name)}"
            )
        return response

    if request.method in ("GET", "HEAD") and _none_match(
        request.headers.get("If-None-Match", ""), etag
    ):
        handle.close()
        return headers(HttpResponse(status=304))

    span = None
    range_header = request.headers.get("Range")
    if range_header and request.method in ("GET", "HEAD"):
        if_range = request.headers.get("If-Range")
        if if_range is None or _if_range_matches(if_range, etag, stat.st_mtime):
            span = parse_range(range_header, size)
    if span == "unsatisfiable":
        handle.close()
        response = headers(HttpResponse(status=416, content_type=content_type))
        response["Content-Range"] = f"bytes */{size}"
        return response

    first, last = span if span else (0, size - 1)
    length = max(0, last - first + 1)
    status = 206 if span else 200
    if request.method == "HEAD":
        handle.close()
        response = HttpResponse(status=status, content_type=content_type)
    else:
        handle.seek(first)
        response = FileResponse(
            RangeReader(handle, length), status=status, content_type=content_type
        )
        response.block_size = BLOCK_SIZE
    headers(response)
    response["Content-Length"] = str(length)
    if span:
        response["Content-Range"] = f"bytes {first}-{last}/{size}"
    return response


def _quote_filename(name: str) -> str:
    return quote(name, safe="")
