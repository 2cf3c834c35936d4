"""Serving blobs over HTTP with ``Range``, so a download the link cut resumes where it stopped."""

import re

from django.http import (
    HttpResponse,
    HttpResponseNotAllowed,
    HttpResponseNotFound,
    StreamingHttpResponse,
)

from .store import BlobError, BlobNotFound, blob_store, read_bytes

_RANGE_RE = re.compile(r"([0-9]{0,19})-([0-9]{0,19})")


class RangeNotSatisfiable(BlobError):
    """A Range header that cannot be served: answer 416."""


def parse_range(header: str | None, size: int) -> tuple[int, int] | None:
    """The byte range ``(first, last)``, both inclusive, that ``header`` asks of ``size`` bytes.

    None when there is no Range header, or its unit is not ``bytes`` (RFC 9110 §14.2: ignored).
    ``bytes=START-END`` (END clamped to the last byte), ``bytes=START-`` and ``bytes=-SUFFIX``
    are served. RangeNotSatisfiable (answer 416) for a malformed bytes range, one starting at
    or after the end, ``bytes=5-2``, a zero suffix, any range of an empty blob, and for
    several ranges: our clients resume with one range, and a multipart answer would only
    cost the link more (RFC 9110 §15.5.17 allows refusing them).
    """
    if header is None or not header.strip():
        return None
    unit, equals, spec = header.partition("=")
    if not equals:
        raise RangeNotSatisfiable(f"malformed Range header: {header!r:.80}")
    if unit.strip().lower() != "bytes":
        return None
    spec = spec.strip()
    if "," in spec:
        raise RangeNotSatisfiable("only one range per request is served")
    match = _RANGE_RE.fullmatch(spec)
    if not match or match.group(1) == match.group(2) == "":
        raise RangeNotSatisfiable(f"malformed Range header: {header!r:.80}")
    first_text, last_text = match.groups()
    if first_text == "":
        suffix = int(last_text)
        if suffix == 0 or size == 0:
            raise RangeNotSatisfiable(f"bytes=-{suffix} of {size} bytes")
        return max(0, size - suffix), size - 1
    first = int(first_text)
    last = int(last_text) if last_text else size - 1
    if last < first or first >= size:
        raise RangeNotSatisfiable(f"bytes={first_text}-{last_text} of {size} bytes")
    return first, min(last, size - 1)


class _FileRange:
    """Iterates over ``length`` bytes of ``file`` from ``first`` in bounded reads.

    Django calls ``close()`` when the response is done or the client went away, which closes
    the file; the file is opened before the response so a vanished blob is still a 404.
    """

    def __init__(self, file, first: int, length: int):
        self.file = file
        self.first = first
        self.length = length

    def __iter__(self):
        self.file.seek(self.first)
        remaining = self.length
        while remaining > 0:
            data = self.file.read(min(read_bytes(), remaining))
            if not data:
                break
            remaining -= len(data)
            yield data

    def close(self):
        self.file.close()


def blob_response(request, sha: str) -> HttpResponse:
    """Serve blob ``sha`` for GET or HEAD, with HTTP Range so cut downloads resume.

    404 when the sha is invalid or missing; 200 with the whole blob, or 206 with one range;
    416 with ``Content-Range: bytes */SIZE`` when the range cannot be served. An ``If-Range``
    other than the blob's ETag means "send it all" (RFC 9110 §13.1.5); a blob never changes, so
    that only happens with a foreign validator. HEAD gets GET's headers, ranges included.
    The body is a streaming response, which also keeps the anonymous page cache away from it.
    """
    if request.method not in ("GET", "HEAD"):
        return HttpResponseNotAllowed(["GET", "HEAD"])
    store = blob_store()
    try:
        size = store.size(sha)
    except BlobError:
        size = None
    if size is None:
        return _not_found()
    etag = f'"{sha}"'
    range_header = request.headers.get("Range")
    if_range = request.headers.get("If-Range")
    if if_range is not None and if_range.strip() != etag:
        range_header = None
    try:
        byte_range = parse_range(range_header, size)
    except RangeNotSatisfiable:
        response = HttpResponse(status=416, content_type="text/plain")
        response.headers["Content-Range"] = f"bytes */{size}"
        response.headers["Accept-Ranges"] = "bytes"
        return response
    first, last = byte_range or (0, size - 1)
    length = last - first + 1
    if request.method == "HEAD":
        body = ()
    else:
        try:
            body = _FileRange(store.open(sha), first, length)
        except BlobNotFound:
            return _not_found()  # deleted since size() was read
    response = StreamingHttpResponse(
        body, status=206 if byte_range else 200, content_type="application/octet-stream"
    )
    if byte_range:
        response.headers["Content-Range"] = f"bytes {first}-{last}/{size}"
    response.headers["Content-Length"] = str(length)
    response.headers["Accept-Ranges"] = "bytes"
    response.headers["ETag"] = etag
    response.headers["Cache-Control"] = "private, max-age=31536000, immutable"
    return response


def _not_found() -> HttpResponse:
    # A blob missing now may arrive with the next sync: no one may cache its absence.
    response = HttpResponseNotFound(b"blob not found", content_type="text/plain")
    response.headers["Cache-Control"] = "no-store"
    return response
