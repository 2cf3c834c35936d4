"""The content-addressed blob store: whole puts, resumable partials, cleanup and Range serving."""

import fcntl
import hashlib
import io
import os
import time

import pytest
from django.http import UnreadablePostError
from django.test import RequestFactory

from hub.sync.blobs import (
    BlobError,
    BlobNotFound,
    BlobTooLarge,
    HashMismatch,
    OffsetMismatch,
    PartialBusy,
    blob_name,
    blob_store,
    validate_sha256,
)
from hub.sync.blobs.http import RangeNotSatisfiable, blob_response, parse_range

DATA = bytes(range(256)) * 20  # 5120 bytes: many reads at the 1000-byte chunk set below
DATA_SHA = hashlib.sha256(DATA).hexdigest()


def sha_of(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@pytest.fixture
def store(settings, tmp_path):
    """A blob store of the test's own, with a small read size so chunking is exercised."""
    settings.STORAGES = {
        **settings.STORAGES,
        "sync_blobs": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path / "blobs")},
        },
    }
    settings.SYNC_BLOB_PARTIAL_DIR = tmp_path / "partial"
    settings.SYNC_BLOB_MAX_BYTES = 64 * 1024
    settings.SYNC_BLOB_CHUNK_BYTES = 1000
    settings.SYNC_BLOB_PARTIAL_MAX_AGE = 3600
    return blob_store()


@pytest.fixture
def memory_store(store, settings):
    """The same store over a storage that is not a local directory (like S3 upstream)."""
    settings.STORAGES = {
        **settings.STORAGES,
        "sync_blobs": {"BACKEND": "django.core.files.storage.InMemoryStorage"},
    }
    return blob_store()


def files_under(path) -> list[str]:
    return sorted(
        os.path.relpath(os.path.join(root, name), path)
        for root, _dirs, names in os.walk(path)
        for name in names
    )


class RecordingStream(io.BytesIO):
    """Remembers the largest read asked of it."""

    largest_read = 0

    def read(self, size=-1):
        self.largest_read = max(self.largest_read, size if size >= 0 else 10**12)
        return super().read(size)


class CutStream:
    """Yields ``cut_after`` bytes of ``data`` then fails as Django does when the client is gone."""

    def __init__(self, data: bytes, cut_after: int):
        self.data = data
        self.cut_after = cut_after
        self.position = 0

    def read(self, size=-1):
        if self.position >= self.cut_after:
            raise UnreadablePostError("connection reset by peer")
        end = min(self.position + size, self.cut_after)
        chunk = self.data[self.position : end]
        self.position = end
        return chunk


# Whole blobs.


def test_put_stream_round_trip(store, tmp_path):
    # given
    stream = RecordingStream(DATA)

    # when
    sha, size = store.put_stream(stream)

    # then
    assert (sha, size) == (DATA_SHA, len(DATA))
    assert store.has(sha)
    assert store.size(sha) == len(DATA)
    with store.open(sha) as blob:
        assert blob.read() == DATA
    assert store.local_path(sha) == str(tmp_path / "blobs" / sha[:2] / sha[2:4] / sha)
    assert blob_name(sha) == f"{sha[:2]}/{sha[2:4]}/{sha}"
    assert stream.largest_read <= 1000
    assert os.listdir(tmp_path / "partial") == []


def test_missing_blob(store):
    # given
    sha = sha_of(b"never stored")

    # when / then
    assert not store.has(sha)
    assert store.size(sha) is None
    assert store.local_path(sha) is None
    with pytest.raises(BlobNotFound):
        store.open(sha)


def test_put_is_idempotent_and_does_not_rewrite(store):
    # given
    sha, _ = store.put_stream(io.BytesIO(DATA))
    path = store.local_path(sha)
    os.utime(path, (1_000_000, 1_000_000))
    inode = os.stat(path).st_ino

    # when
    again = store.put_stream(io.BytesIO(DATA))
    known = store.put_stream(io.BytesIO(b"not even read"), expected_sha=sha)

    # then
    assert again == known == (sha, len(DATA))
    assert os.stat(path).st_mtime == 1_000_000
    assert os.stat(path).st_ino == inode


def test_expected_sha_mismatch_refused_and_nothing_left(store, tmp_path):
    # given
    wrong = sha_of(b"something else")

    # when
    with pytest.raises(HashMismatch) as caught:
        store.put_stream(io.BytesIO(DATA), expected_sha=wrong)

    # then
    assert caught.value.expected == wrong
    assert caught.value.actual == DATA_SHA
    assert not store.has(DATA_SHA)
    assert not store.has(wrong)
    assert files_under(tmp_path / "blobs") == []
    assert os.listdir(tmp_path / "partial") == []


def test_max_bytes_refused_and_nothing_left(store, tmp_path):
    # given
    stream = RecordingStream(DATA)

    # when
    with pytest.raises(BlobTooLarge):
        store.put_stream(stream, max_bytes=len(DATA) - 1)

    # then
    assert not store.has(DATA_SHA)
    assert os.listdir(tmp_path / "partial") == []
    # it stopped as soon as the limit was crossed
    assert stream.tell() == len(DATA)
    assert store.put_stream(io.BytesIO(DATA), max_bytes=len(DATA)) == (DATA_SHA, len(DATA))


def test_setting_caps_put_by_default(store, settings):
    # given
    settings.SYNC_BLOB_MAX_BYTES = 100

    # when / then
    with pytest.raises(BlobTooLarge):
        store.put_stream(io.BytesIO(DATA))


def test_put_path_hard_links_on_the_same_filesystem(store, tmp_path):
    # given
    source = tmp_path / "photo.jpg"
    source.write_bytes(DATA)

    # when
    sha, size = store.put_path(source)

    # then
    assert (sha, size) == (DATA_SHA, len(DATA))
    assert os.stat(store.local_path(sha)).st_ino == os.stat(source).st_ino
    assert source.exists()


def test_put_path_copies_when_linking_fails(store, tmp_path, monkeypatch):
    # given
    source = tmp_path / "photo.jpg"
    source.write_bytes(DATA)

    def cross_device(*args, **kwargs):
        raise OSError(18, "Invalid cross-device link")

    monkeypatch.setattr(os, "link", cross_device)

    # when
    sha, size = store.put_path(source, expected_sha=DATA_SHA)

    # then
    assert (sha, size) == (DATA_SHA, len(DATA))
    assert os.stat(store.local_path(sha)).st_ino != os.stat(source).st_ino
    with store.open(sha) as blob:
        assert blob.read() == DATA


def test_put_path_refuses_wrong_hash_and_size(store, tmp_path):
    # given
    source = tmp_path / "photo.jpg"
    source.write_bytes(DATA)

    # when / then
    with pytest.raises(HashMismatch):
        store.put_path(source, expected_sha=sha_of(b"other"))
    with pytest.raises(BlobTooLarge):
        store.put_path(source, max_bytes=10)
    assert not store.has(DATA_SHA)


def test_store_without_local_files(memory_store):
    # given
    sha, size = memory_store.put_stream(io.BytesIO(DATA))
    memory_store.partial_append(sha_of(b"abc"), offset=0, stream=io.BytesIO(b"abc"), total_size=3)

    # when
    finished = memory_store.partial_finish(sha_of(b"abc"))

    # then
    assert memory_store.local_path(sha) is None
    with memory_store.open(sha) as blob:
        assert blob.read() == DATA
    assert finished == 3
    assert memory_store.has(sha_of(b"abc"))
    assert memory_store.put_stream(io.BytesIO(DATA)) == (sha, size)
    assert memory_store.storage.listdir(f"{sha[:2]}/{sha[2:4]}") == ([], [sha])


# Shas end up in paths.

BAD_SHAS = [
    "../../etc/passwd",
    DATA_SHA.upper(),
    DATA_SHA[:63],
    DATA_SHA[:63] + "\x00",
    DATA_SHA + "\n",
    "../" + DATA_SHA[3:],
    "",
]


@pytest.mark.parametrize("bad", BAD_SHAS)
def test_malformed_shas_refused_everywhere(store, bad, tmp_path):
    # given
    calls = [
        lambda: validate_sha256(bad),
        lambda: store.has(bad),
        lambda: store.size(bad),
        lambda: store.open(bad),
        lambda: store.local_path(bad),
        lambda: store.put_stream(io.BytesIO(DATA), expected_sha=bad),
        lambda: store.partial_offset(bad),
        lambda: store.partial_append(bad, offset=0, stream=io.BytesIO(b"x"), total_size=1),
        lambda: store.partial_finish(bad),
    ]

    for call in calls:
        # when / then
        with pytest.raises(BlobError, match="SHA-256 hex digest"):
            call()
    assert files_under(tmp_path) == []


def test_validate_sha256_accepts_a_digest_only():
    assert validate_sha256(DATA_SHA) == DATA_SHA
    with pytest.raises(BlobError):
        validate_sha256(None)
    assert issubclass(BlobError, ValueError)


# Resumable uploads.


def test_partial_append_in_three_chunks_then_finish(store, tmp_path):
    # given
    parts = [DATA[:2000], DATA[2000:4000], DATA[4000:]]
    offset = 0
    assert store.partial_offset(DATA_SHA) == 0

    # when
    for part in parts:
        offset = store.partial_append(
            DATA_SHA, offset=offset, stream=io.BytesIO(part), total_size=len(DATA)
        )
        assert store.partial_offset(DATA_SHA) == offset
    size = store.partial_finish(DATA_SHA)

    # then
    assert offset == size == len(DATA)
    with store.open(DATA_SHA) as blob:
        assert blob.read() == DATA
    assert store.partial_offset(DATA_SHA) == 0
    assert os.listdir(tmp_path / "partial") == []


def test_append_at_wrong_offset_reports_the_real_one(store):
    # given
    store.partial_append(DATA_SHA, offset=0, stream=io.BytesIO(DATA[:100]), total_size=len(DATA))

    # when
    with pytest.raises(OffsetMismatch) as caught:
        store.partial_append(
            DATA_SHA, offset=50, stream=io.BytesIO(DATA[50:]), total_size=len(DATA)
        )

    # then
    assert caught.value.offset == 100
    assert store.partial_offset(DATA_SHA) == 100


def test_append_without_partial_must_start_at_zero(store, tmp_path):
    # when
    with pytest.raises(OffsetMismatch) as caught:
        store.partial_append(DATA_SHA, offset=10, stream=io.BytesIO(b"x"), total_size=len(DATA))

    # then
    assert caught.value.offset == 0
    assert not (tmp_path / "partial" / f"{DATA_SHA}.part").exists()


def test_cut_stream_keeps_what_arrived_and_resumes(store):
    # given
    cut = CutStream(DATA, cut_after=2500)

    # when
    reached = store.partial_append(DATA_SHA, offset=0, stream=cut, total_size=len(DATA))
    resumed = store.partial_append(
        DATA_SHA, offset=reached, stream=io.BytesIO(DATA[reached:]), total_size=len(DATA)
    )
    size = store.partial_finish(DATA_SHA)

    # then
    assert reached == 2500
    assert resumed == size == len(DATA)
    with store.open(DATA_SHA) as blob:
        assert hashlib.sha256(blob.read()).hexdigest() == DATA_SHA


def test_corrupt_partial_is_deleted_on_finish(store, tmp_path):
    # given
    corrupt = DATA[:-1] + b"\x00"
    store.partial_append(DATA_SHA, offset=0, stream=io.BytesIO(corrupt), total_size=len(DATA))

    # when
    with pytest.raises(HashMismatch):
        store.partial_finish(DATA_SHA)

    # then
    assert store.partial_offset(DATA_SHA) == 0
    assert not store.has(DATA_SHA)
    assert os.listdir(tmp_path / "partial") == []


def test_finish_without_partial(store):
    with pytest.raises(BlobNotFound):
        store.partial_finish(DATA_SHA)


def test_exceeding_total_size_refused_and_partial_unchanged(store):
    # given
    store.partial_append(DATA_SHA, offset=0, stream=io.BytesIO(DATA[:100]), total_size=200)

    # when
    with pytest.raises(BlobTooLarge):
        store.partial_append(DATA_SHA, offset=100, stream=io.BytesIO(DATA[100:]), total_size=200)

    # then
    assert store.partial_offset(DATA_SHA) == 100


def test_total_size_above_the_setting_refused(store, settings):
    # given
    settings.SYNC_BLOB_MAX_BYTES = 1000

    # when / then
    with pytest.raises(BlobTooLarge):
        store.partial_append(DATA_SHA, offset=0, stream=io.BytesIO(DATA), total_size=len(DATA))
    assert store.partial_offset(DATA_SHA) == 0


def test_max_chunk_caps_one_append(store):
    # when
    with pytest.raises(BlobTooLarge):
        store.partial_append(
            DATA_SHA, offset=0, stream=io.BytesIO(DATA), total_size=len(DATA), max_chunk=1000
        )
    reached = store.partial_append(
        DATA_SHA, offset=0, stream=io.BytesIO(DATA[:1000]), total_size=len(DATA), max_chunk=1000
    )

    # then
    assert reached == 1000


def test_concurrent_append_is_refused(store, tmp_path):
    # given: another worker holds the partial
    store.partial_append(DATA_SHA, offset=0, stream=io.BytesIO(DATA[:10]), total_size=len(DATA))
    with open(tmp_path / "partial" / f"{DATA_SHA}.part", "rb") as other:
        fcntl.flock(other, fcntl.LOCK_EX)

        # when / then
        with pytest.raises(PartialBusy):
            store.partial_append(
                DATA_SHA, offset=10, stream=io.BytesIO(DATA[10:]), total_size=len(DATA)
            )
    assert store.partial_offset(DATA_SHA) == 10


def test_cleanup_removes_old_partials_and_keeps_fresh_ones(store, tmp_path):
    # given
    old_sha, fresh_sha = sha_of(b"old"), sha_of(b"fresh")
    store.partial_append(old_sha, offset=0, stream=io.BytesIO(b"ol"), total_size=3)
    store.partial_append(fresh_sha, offset=0, stream=io.BytesIO(b"fr"), total_size=5)
    partial_dir = tmp_path / "partial"
    stray_temp = partial_dir / "tmp-0123456789abcdef"
    stray_temp.write_bytes(b"abandoned put")
    unrelated = partial_dir / "README"
    unrelated.write_text("not ours")
    long_ago = time.time() - 3600 - 60
    for path in (partial_dir / f"{old_sha}.part", stray_temp, unrelated):
        os.utime(path, (long_ago, long_ago))

    # when
    deleted = store.cleanup_partials()

    # then
    assert deleted == 2
    assert sorted(os.listdir(partial_dir)) == ["README", f"{fresh_sha}.part"]
    assert store.partial_offset(old_sha) == 0
    assert store.partial_offset(fresh_sha) == 2
    assert store.cleanup_partials(max_age=3600) == 0


def test_cleanup_without_partial_dir(store):
    assert store.cleanup_partials() == 0


# HTTP.


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        (None, None),
        ("", None),
        ("bytes=0-99", (0, 99)),
        ("bytes=10-", (10, 99)),
        ("bytes=-10", (90, 99)),
        ("bytes=-500", (0, 99)),
        ("bytes=90-500", (90, 99)),
        ("Bytes = 5-5", (5, 5)),
        ("items=0-5", None),
    ],
)
def test_parse_range(header, expected):
    assert parse_range(header, 100) == expected


@pytest.mark.parametrize(
    "header",
    [
        "bytes=100-",
        "bytes=150-200",
        "bytes=5-2",
        "bytes=-0",
        "bytes=-",
        "bytes=abc",
        "bytes=1-2-3",
        "bytes=+1-2",
        "bytes=0-1,5-6",
        "bytes 0-1",
        "bytes=٠-١",
        "bytes=" + "9" * 30 + "-",
    ],
)
def test_parse_range_not_satisfiable(header):
    with pytest.raises(RangeNotSatisfiable):
        parse_range(header, 100)


def test_parse_range_of_empty_blob():
    with pytest.raises(RangeNotSatisfiable):
        parse_range("bytes=0-", 0)
    assert parse_range(None, 0) is None


@pytest.fixture
def stored(store):
    sha, _ = store.put_stream(io.BytesIO(DATA))
    return sha


# Tests reading a response are django_db: closing it fires request_finished, which closes
# database connections.
def body_of(response) -> bytes:
    try:
        return b"".join(response.streaming_content)
    finally:
        response.close()


@pytest.mark.django_db
def test_blob_response_full(stored):
    # given
    request = RequestFactory().get(f"/blobs/{stored}")

    # when
    response = blob_response(request, stored)

    # then
    assert response.status_code == 200
    assert body_of(response) == DATA
    assert response["Content-Length"] == str(len(DATA))
    assert response["Accept-Ranges"] == "bytes"
    assert response["ETag"] == f'"{stored}"'
    assert response["Content-Type"] == "application/octet-stream"
    assert response["Cache-Control"] == "private, max-age=31536000, immutable"
    assert "Content-Range" not in response


@pytest.mark.django_db
def test_blob_response_range(stored):
    # given
    request = RequestFactory().get(f"/blobs/{stored}", headers={"Range": "bytes=1000-2999"})

    # when
    response = blob_response(request, stored)

    # then
    assert response.status_code == 206
    assert response["Content-Range"] == f"bytes 1000-2999/{len(DATA)}"
    assert response["Content-Length"] == "2000"
    assert body_of(response) == DATA[1000:3000]


@pytest.mark.django_db
def test_blob_response_resume_to_end(stored):
    # given
    request = RequestFactory().get(
        f"/blobs/{stored}", headers={"Range": "bytes=5000-", "If-Range": f'"{stored}"'}
    )

    # when
    response = blob_response(request, stored)

    # then
    assert response.status_code == 206
    assert response["Content-Range"] == f"bytes 5000-5119/{len(DATA)}"
    assert body_of(response) == DATA[5000:]


@pytest.mark.django_db
def test_blob_response_unsatisfiable(stored):
    # given
    request = RequestFactory().get(f"/blobs/{stored}", headers={"Range": f"bytes={len(DATA)}-"})

    # when
    response = blob_response(request, stored)

    # then
    assert response.status_code == 416
    assert response["Content-Range"] == f"bytes */{len(DATA)}"


@pytest.mark.django_db
def test_blob_response_missing(store):
    # given
    sha = sha_of(b"not here")

    # when
    missing = blob_response(RequestFactory().get(f"/blobs/{sha}"), sha)
    invalid = blob_response(RequestFactory().get("/blobs/x"), "../../etc/passwd")

    # then
    assert missing.status_code == invalid.status_code == 404
    assert missing["Cache-Control"] == "no-store"


@pytest.mark.django_db
def test_blob_response_if_range_mismatch_sends_everything(stored):
    # given
    request = RequestFactory().get(
        f"/blobs/{stored}", headers={"Range": "bytes=100-", "If-Range": '"something-else"'}
    )

    # when
    response = blob_response(request, stored)

    # then
    assert response.status_code == 200
    assert "Content-Range" not in response
    assert body_of(response) == DATA


@pytest.mark.django_db
def test_blob_response_head(stored):
    # given
    full = RequestFactory().head(f"/blobs/{stored}")
    ranged = RequestFactory().head(f"/blobs/{stored}", headers={"Range": "bytes=-20"})

    # when
    full_response = blob_response(full, stored)
    ranged_response = blob_response(ranged, stored)

    # then
    assert full_response.status_code == 200
    assert full_response["Content-Length"] == str(len(DATA))
    assert full_response["ETag"] == f'"{stored}"'
    assert body_of(full_response) == b""
    assert ranged_response.status_code == 206
    assert ranged_response["Content-Range"] == f"bytes 5100-5119/{len(DATA)}"
    assert ranged_response["Content-Length"] == "20"
    assert body_of(ranged_response) == b""


@pytest.mark.django_db
def test_blob_response_refuses_other_methods(stored):
    # when
    response = blob_response(RequestFactory().post(f"/blobs/{stored}"), stored)

    # then
    assert response.status_code == 405


@pytest.mark.django_db
def test_blob_response_from_a_remote_storage(memory_store):
    # given
    sha, _ = memory_store.put_stream(io.BytesIO(DATA))
    request = RequestFactory().get(f"/blobs/{sha}", headers={"Range": "bytes=10-19"})

    # when
    response = blob_response(request, sha)

    # then
    assert response.status_code == 206
    assert body_of(response) == DATA[10:20]


def test_finish_of_a_blob_already_stored_drops_the_partial(store, tmp_path):
    # given
    store.put_stream(io.BytesIO(DATA))
    store.partial_append(DATA_SHA, offset=0, stream=io.BytesIO(DATA), total_size=len(DATA))

    # when
    size = store.partial_finish(DATA_SHA)

    # then
    assert size == len(DATA)
    assert os.listdir(tmp_path / "partial") == []
    with store.open(DATA_SHA) as blob:
        assert blob.read() == DATA
