"""Bundle files: the signed tar container, and every way a file on a stick can be refused.

Hostile bundles are built by hand with ``tarfile``: a valid, signed manifest followed by the
member under test, so the refusal comes from the check being tested and not from an earlier one.
"""

import hashlib
import io
import os
import tarfile
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from hub.sync.bundles.container import (
    FORMAT,
    BundleLimits,
    manifest_dumps,
    open_bundle,
    write_bundle,
)
from hub.sync.bundles.errors import (
    BadManifest,
    BadMemberName,
    BadSignature,
    BlobNameMismatch,
    BundleWriteError,
    DuplicateMember,
    MemberMismatch,
    NotABundle,
    TooLarge,
    Truncated,
    UnknownSigner,
    UnsafeMember,
    WrongSigner,
)
from hub.sync.core.errors import HashMismatch, Refused
from hub.sync.wire import keys
from hub.sync.wire.compression import compress_page, decompress_page

UPSTREAM = "15"
PAGE_1 = "changes/000001.ndjson.zst"
PAGE_2 = "changes/000002.ndjson.zst"
MiB = 1024 * 1024


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@pytest.fixture
def upstream_key():
    return Ed25519PrivateKey.generate()


@pytest.fixture
def trusted(upstream_key):
    """The hub's pinned keys: only the upstream's."""
    text = keys.public_key_text(upstream_key.public_key())
    return lambda signer: text if signer == UPSTREAM else None


@pytest.fixture
def stick(tmp_path, monkeypatch):
    """A directory standing for the USB stick; the process works in an empty directory beside it,
    where a careless extraction of relative names would land."""
    (tmp_path / "cwd").mkdir()
    monkeypatch.chdir(tmp_path / "cwd")
    stick = tmp_path / "stick"
    stick.mkdir()
    return stick


def tree(root: Path) -> dict[str, tuple[int, int]]:
    return {
        str(path.relative_to(root)): (path.lstat().st_size, path.lstat().st_mtime_ns)
        for path in root.rglob("*")
    }


def refusal_of(path: Path, trusted, **kwargs) -> tuple[Refused, set[str]]:
    """open_bundle's refusal, and what changed on disk meanwhile (must be nothing).

    ``tarfile`` is disabled while the bundle is read: the reader must not extract anything.
    """
    root = path.parent.parent
    before = tree(root)
    with pytest.MonkeyPatch.context() as mp:
        for name in ("open", "TarFile"):
            mp.setattr(tarfile, name, None)
        with pytest.raises(Refused) as excinfo:
            open_bundle(path, trusted_key=trusted, **kwargs)
    after = tree(root)
    written = {name for name in after if before.get(name) != after[name]}
    return excinfo.value, written


def entry(name: str, data: bytes) -> dict:
    return {"name": name, "size": len(data), "sha256": sha(data)}


def signed_manifest(key, members: list[dict], **overrides) -> tuple[bytes, bytes]:
    manifest = {
        "format": FORMAT,
        "signer": UPSTREAM,
        "signer_key": keys.public_key_text(key.public_key()),
        "created_at": "2026-01-05T03:00:00+00:00",
        "meta": {"direction": "pull", "scope": "15.03"},
        "members": members,
    }
    manifest.update(overrides)
    data = manifest_dumps(manifest)
    return data, keys.sign(data, key).encode()


def regular(name: str, data: bytes = b"") -> tuple[tarfile.TarInfo, bytes]:
    info = tarfile.TarInfo(name)
    info.size = len(data)
    return info, data


def special(name: str, kind: bytes, linkname: str = "") -> tuple[tarfile.TarInfo, bytes]:
    info = tarfile.TarInfo(name)
    info.type = kind
    info.linkname = linkname
    info.devmajor, info.devminor = 1, 3
    return info, b""


def write_tar(path: Path, members: list[tuple[tarfile.TarInfo, bytes]]) -> Path:
    with tarfile.open(path, "w") as tar:
        for info, data in members:
            tar.addfile(info, io.BytesIO(data) if info.isreg() else None)
    return path


def hostile(path: Path, key, members, listed: list[dict] | None = None, **overrides) -> Path:
    """A signed manifest, its signature, then ``members`` as given."""
    if listed is None:
        listed = [entry(info.name, data) for info, data in members]
    manifest, signature = signed_manifest(key, listed, **overrides)
    return write_tar(
        path,
        [regular("manifest.json", manifest), regular("manifest.sig", signature), *members],
    )


def blob_source(data: bytes):
    return (sha(data), len(data), lambda: io.BytesIO(data))


@pytest.fixture
def contents():
    pages = [
        compress_page(
            b'{"m":"site.announcement","n":%d,"x":"%s"}\n'
            % (n, os.urandom(300).hex().encode())
            * 50
        )
        for n in range(3)
    ]
    blobs = [os.urandom(MiB + 12345) + b"\x01", b"", b"%PDF-1.7 kecil"]
    return pages, blobs


@pytest.fixture
def good_bundle(stick, upstream_key, contents):
    pages, blobs = contents
    path = stick / "desa.balai"
    write_bundle(
        path,
        signer=UPSTREAM,
        key=upstream_key,
        meta={"direction": "pull", "scope": "15.03"},
        pages=pages,
        blobs=[blob_source(b) for b in blobs],
    )
    return path


# Round trip ------------------------------------------------------------------------------------


def test_round_trip_gives_back_pages_blobs_and_manifest(stick, upstream_key, trusted, contents):
    # given
    pages, blobs = contents
    path = stick / "desa.balai"
    calls = []

    # when
    written = write_bundle(
        path,
        signer=UPSTREAM,
        key=upstream_key,
        meta={"direction": "pull", "cursor": [0, 42], "records": 1500},
        pages=iter(pages),
        blobs=[blob_source(b) for b in blobs] + [blob_source(blobs[2])],
    )
    with open_bundle(path, trusted_key=trusted, progress=lambda *a: calls.append(a)) as bundle:
        read_pages = list(bundle.pages())
        read_blobs = {name: bundle.open_blob(name).read() for name in bundle.blob_names()}

        # then
        assert read_pages == pages
        assert [decompress_page(p) for p in read_pages][1].startswith(b'{"m":"site.')
        assert read_blobs == {sha(b): b for b in blobs}
        assert bundle.blob_names() == [sha(b) for b in blobs]
        assert bundle.manifest == written
        assert bundle.signer == UPSTREAM
        assert bundle.meta == {"direction": "pull", "cursor": [0, 42], "records": 1500}
        assert bundle.manifest["format"] == "balai-bundle/1"
        assert bundle.manifest["signer_key"] == trusted(UPSTREAM)
        assert bundle.created_at.utcoffset().total_seconds() == 0
        assert bundle.member_count == 6
        assert bundle.total_bytes == sum(map(len, pages)) + sum(map(len, blobs))
        assert [m["name"] for m in bundle.manifest["members"]] == [
            "changes/000001.ndjson.zst",
            "changes/000002.ndjson.zst",
            "changes/000003.ndjson.zst",
            *(f"blobs/{sha(b)}" for b in blobs),
        ]
    size = path.stat().st_size
    assert calls[0] == (0, size) and calls[-1] == (size, size)
    assert [done for done, _ in calls] == sorted(done for done, _ in calls)
    assert sorted(os.listdir(stick)) == ["desa.balai"]
    with tarfile.open(path) as tar:  # any tar tool reads it
        assert tar.getnames()[:3] == ["manifest.json", "manifest.sig", PAGE_1]


def test_manifest_is_sorted_json_signed_over_its_exact_bytes(good_bundle, trusted):
    # given
    with tarfile.open(good_bundle) as tar:
        manifest = tar.extractfile("manifest.json").read()
        signature = tar.extractfile("manifest.sig").read().decode()

    # when
    valid = keys.verify(trusted(UPSTREAM), manifest, signature)

    # then
    assert valid
    assert manifest == manifest_dumps(__import__("json").loads(manifest))


def test_empty_bundle_round_trips(stick, upstream_key, trusted):
    # given
    path = stick / "kosong.balai"
    write_bundle(path, signer=UPSTREAM, key=upstream_key, meta={}, pages=[], blobs=[])

    # when
    with open_bundle(path, trusted_key=trusted) as bundle:
        # then
        assert list(bundle.pages()) == []
        assert bundle.blob_names() == []
        assert bundle.member_count == 0


# Writing ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "claimed",
    [
        pytest.param(lambda d: (sha(b"other"), len(d)), id="wrong-hash"),
        pytest.param(lambda d: (sha(d), len(d) + 1), id="shorter-than-declared"),
        pytest.param(lambda d: (sha(d), len(d) - 1), id="longer-than-declared"),
    ],
)
def test_write_aborts_on_a_blob_that_is_not_what_it_claims(stick, upstream_key, claimed):
    # given
    data = os.urandom(3 * MiB)
    digest, size = claimed(data)
    (stick / "desa.balai").write_bytes(b"previous bundle")
    before = tree(stick)

    # when
    with pytest.raises(BundleWriteError) as excinfo:
        write_bundle(
            stick / "desa.balai",
            signer=UPSTREAM,
            key=upstream_key,
            meta={},
            pages=[compress_page(b"{}")],
            blobs=[(digest, size, lambda: io.BytesIO(data))],
        )

    # then
    assert "blobs/" in str(excinfo.value)
    assert tree(stick) == before


def test_write_refuses_a_bundle_the_reader_would_refuse(stick, upstream_key):
    # given
    limits = BundleLimits(max_members=2)

    # when
    with pytest.raises(BundleWriteError) as excinfo:
        write_bundle(
            stick / "desa.balai",
            signer=UPSTREAM,
            key=upstream_key,
            meta={},
            pages=[compress_page(b"%d" % n) for n in range(3)],
            blobs=[],
            limits=limits,
        )

    # then
    assert "split the bundle" in str(excinfo.value)
    assert os.listdir(stick) == []


def test_write_refuses_a_blob_hash_that_is_not_lowercase_hex(stick, upstream_key):
    # given
    data = b"foto"

    # when
    with pytest.raises(BundleWriteError) as excinfo:
        write_bundle(
            stick / "desa.balai",
            signer=UPSTREAM,
            key=upstream_key,
            meta={},
            pages=[],
            blobs=[(sha(data).upper(), len(data), lambda: io.BytesIO(data))],
        )

    # then
    assert "blobs/" in str(excinfo.value)
    assert os.listdir(stick) == []


# Refusals: the file ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "content",
    [
        pytest.param(b"", id="empty"),
        pytest.param(os.urandom(4096), id="random"),
        pytest.param(b"\x89PNG\r\n\x1a\n" + bytes(2000), id="png"),
        pytest.param(b"manifest.json\n" * 100, id="text"),
    ],
)
def test_not_a_tar_is_refused(stick, trusted, content):
    # given
    path = stick / "desa.balai"
    path.write_bytes(content)

    # when
    error, written = refusal_of(path, trusted)

    # then
    assert type(error) is NotABundle
    assert written == set()


def test_a_directory_is_refused(stick, trusted):
    # given
    (stick / "desa.balai").mkdir()

    # when
    error, written = refusal_of(stick / "desa.balai", trusted)

    # then
    assert type(error) is NotABundle
    assert written == set()


@pytest.mark.parametrize("where", ["inside-manifest", "middle", "before-end-marker"])
def test_truncated_file_is_refused(good_bundle, trusted, where):
    # given
    data = good_bundle.read_bytes()
    end_of_members = -(-len(data.rstrip(b"\0")) // 512) * 512
    cut = {"inside-manifest": 700, "middle": len(data) // 2, "before-end-marker": end_of_members}
    good_bundle.write_bytes(data[: cut[where]])

    # when
    error, written = refusal_of(good_bundle, trusted)

    # then
    assert type(error) is Truncated
    assert written == set()


def test_data_after_the_archive_is_refused(good_bundle, trusted):
    # given
    with good_bundle.open("ab") as f:
        f.write(b"appended")

    # when
    error, written = refusal_of(good_bundle, trusted)

    # then
    assert type(error) is NotABundle
    assert written == set()


def test_first_member_not_manifest_is_refused(stick, upstream_key, trusted):
    # given
    page = compress_page(b"{}")
    manifest, signature = signed_manifest(upstream_key, [entry(PAGE_1, page)])
    path = write_tar(
        stick / "desa.balai",
        [
            regular(PAGE_1, page),
            regular("manifest.json", manifest),
            regular("manifest.sig", signature),
        ],
    )

    # when
    error, written = refusal_of(path, trusted)

    # then
    assert type(error) is NotABundle
    assert "manifest.json" in error.reason
    assert written == set()


def test_second_member_not_signature_is_refused(stick, upstream_key, trusted):
    # given
    page = compress_page(b"{}")
    manifest, signature = signed_manifest(upstream_key, [entry(PAGE_1, page)])
    path = write_tar(
        stick / "desa.balai",
        [
            regular("manifest.json", manifest),
            regular(PAGE_1, page),
            regular("manifest.sig", signature),
        ],
    )

    # when
    error, written = refusal_of(path, trusted)

    # then
    assert type(error) is NotABundle
    assert "manifest.sig" in error.reason
    assert written == set()


# Refusals: the manifest and its signature -------------------------------------------------------


def test_manifest_over_the_limit_is_refused(good_bundle, trusted):
    # given
    limits = BundleLimits(max_manifest_bytes=200)

    # when
    error, written = refusal_of(good_bundle, trusted, limits=limits)

    # then
    assert type(error) is TooLarge
    assert "manifest.json" in error.reason
    assert written == set()


def test_manifest_not_json_is_refused(stick, upstream_key, trusted):
    # given
    manifest = b'{"format": "balai-bundle/1", "signer": '
    signature = keys.sign(manifest, upstream_key).encode()
    path = write_tar(
        stick / "desa.balai",
        [regular("manifest.json", manifest), regular("manifest.sig", signature)],
    )

    # when
    error, written = refusal_of(path, trusted)

    # then
    assert type(error) is BadManifest
    assert written == set()


def test_manifest_of_another_format_is_refused(stick, upstream_key, trusted):
    # given
    path = hostile(stick / "desa.balai", upstream_key, [], format="balai-bundle/2")

    # when
    error, written = refusal_of(path, trusted)

    # then
    assert type(error) is BadManifest
    assert "balai-bundle/2" in error.reason
    assert written == set()


def test_unknown_signer_is_refused(stick, upstream_key, trusted):
    # given
    page = compress_page(b"{}")
    path = hostile(stick / "desa.balai", upstream_key, [regular(PAGE_1, page)], signer="99")

    # when
    error, written = refusal_of(path, trusted)

    # then
    assert type(error) is UnknownSigner
    assert "'99'" in error.reason
    assert written == set()


def test_bundle_signed_by_another_key_is_refused_as_wrong_signer(stick, trusted):
    # given: someone else's key, naming the upstream as signer
    intruder = Ed25519PrivateKey.generate()
    page = compress_page(b"{}")
    path = hostile(stick / "desa.balai", intruder, [regular(PAGE_1, page)])

    # when
    error, written = refusal_of(path, trusted)

    # then
    assert type(error) is WrongSigner
    assert written == set()


def test_signature_by_another_key_under_the_pinned_key_is_refused(stick, upstream_key, trusted):
    # given: the manifest names the pinned key, but another key signed it
    intruder = Ed25519PrivateKey.generate()
    page = compress_page(b"{}")
    manifest, _ = signed_manifest(upstream_key, [entry(PAGE_1, page)])
    forged = keys.sign(manifest, intruder).encode()
    path = write_tar(
        stick / "desa.balai",
        [
            regular("manifest.json", manifest),
            regular("manifest.sig", forged),
            regular(PAGE_1, page),
        ],
    )

    # when
    error, written = refusal_of(path, trusted)

    # then
    assert type(error) is BadSignature
    assert written == set()


def test_manifest_tampered_after_signing_is_refused(good_bundle, trusted):
    # given: the same length, still valid JSON, so only the signature can tell
    data = good_bundle.read_bytes()
    assert data.count(b'"direction":"pull"') == 1
    good_bundle.write_bytes(data.replace(b'"direction":"pull"', b'"direction":"push"'))

    # when
    error, written = refusal_of(good_bundle, trusted)

    # then
    assert type(error) is BadSignature
    assert written == set()


# Refusals: members ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "member",
    [
        pytest.param(special(PAGE_1, tarfile.SYMTYPE, "/etc/passwd"), id="symlink"),
        pytest.param(special(PAGE_1, tarfile.LNKTYPE, "manifest.json"), id="hard-link"),
        pytest.param(special(PAGE_1, tarfile.CHRTYPE), id="character-device"),
        pytest.param(special(PAGE_1, tarfile.BLKTYPE), id="block-device"),
        pytest.param(special(PAGE_1, tarfile.DIRTYPE), id="directory"),
        pytest.param(special(PAGE_1, tarfile.FIFOTYPE), id="fifo"),
    ],
)
def test_member_that_is_not_a_regular_file_is_refused(stick, upstream_key, trusted, member):
    # given: the manifest lists an empty page of that name
    path = hostile(stick / "desa.balai", upstream_key, [member], listed=[entry(PAGE_1, b"")])

    # when
    error, written = refusal_of(path, trusted)

    # then
    assert type(error) is UnsafeMember
    assert "not a regular file" in error.reason
    assert written == set()
    assert not Path("/tmp/passwd").is_symlink()


def test_pax_header_is_refused(stick, upstream_key, trusted):
    # given: a non-ASCII name makes tarfile write a pax extended header first
    page = compress_page(b"{}")
    path = hostile(
        stick / "desa.balai",
        upstream_key,
        [regular("changes/ü.ndjson.zst", page)],
        listed=[entry(PAGE_1, page)],
    )

    # when
    error, written = refusal_of(path, trusted)

    # then
    assert type(error) is UnsafeMember
    assert written == set()


@pytest.mark.parametrize(
    "name",
    [
        pytest.param("../x", id="parent-traversal"),
        pytest.param("/etc/passwd", id="absolute"),
        pytest.param("changes/../../x", id="inner-traversal"),
        pytest.param("changes\\000001.ndjson.zst", id="backslash"),
        pytest.param("changes/000001.ndjson.zst\x00.sh", id="nul"),
        pytest.param("changes/1.ndjson.zst", id="short-number"),
        pytest.param("blobs/" + "A" * 64, id="upper-case-hash"),
        pytest.param("manifest.json", id="second-manifest"),
    ],
)
def test_member_with_a_bad_name_is_refused(stick, upstream_key, trusted, name):
    # given: the manifest lists a proper page where the archive holds the bad name
    page = compress_page(b"{}")
    path = hostile(
        stick / "desa.balai", upstream_key, [regular(name, page)], listed=[entry(PAGE_1, page)]
    )

    # when
    error, written = refusal_of(path, trusted)

    # then
    assert type(error) is BadMemberName
    assert written == set()
    assert not (stick.parent / "x").exists()


@pytest.mark.parametrize("name", ["../x", "/etc/passwd", "blobs/../../x", "changes/000001"])
def test_manifest_listing_a_bad_name_is_refused(stick, upstream_key, trusted, name):
    # given
    page = compress_page(b"{}")
    path = hostile(stick / "desa.balai", upstream_key, [regular(name, page)])

    # when
    error, written = refusal_of(path, trusted)

    # then
    assert type(error) is BadMemberName
    assert written == set()


def test_duplicate_member_is_refused(stick, upstream_key, trusted):
    # given
    page_1, page_2 = compress_page(b"1"), compress_page(b"2")
    path = hostile(
        stick / "desa.balai",
        upstream_key,
        [regular(PAGE_1, page_1), regular(PAGE_1, page_1), regular(PAGE_2, page_2)],
        listed=[entry(PAGE_1, page_1), entry(PAGE_2, page_2)],
    )

    # when
    error, written = refusal_of(path, trusted)

    # then
    assert type(error) is DuplicateMember
    assert written == set()


def test_manifest_listing_a_member_twice_is_refused(stick, upstream_key, trusted):
    # given
    blob = b"foto"
    name = f"blobs/{sha(blob)}"
    path = hostile(stick / "desa.balai", upstream_key, [regular(name, blob), regular(name, blob)])

    # when
    error, written = refusal_of(path, trusted)

    # then
    assert type(error) is DuplicateMember
    assert written == set()


def test_member_not_in_the_manifest_is_refused(stick, upstream_key, trusted):
    # given
    page_1, page_2 = compress_page(b"1"), compress_page(b"2")
    path = hostile(
        stick / "desa.balai",
        upstream_key,
        [regular(PAGE_1, page_1), regular(PAGE_2, page_2)],
        listed=[entry(PAGE_1, page_1)],
    )

    # when
    error, written = refusal_of(path, trusted)

    # then
    assert type(error) is MemberMismatch
    assert PAGE_2 in error.reason
    assert written == set()


def test_member_missing_from_the_archive_is_refused(stick, upstream_key, trusted):
    # given
    page_1, page_2 = compress_page(b"1"), compress_page(b"2")
    path = hostile(
        stick / "desa.balai",
        upstream_key,
        [regular(PAGE_1, page_1)],
        listed=[entry(PAGE_1, page_1), entry(PAGE_2, page_2)],
    )

    # when
    error, written = refusal_of(path, trusted)

    # then
    assert type(error) is MemberMismatch
    assert written == set()


def test_members_out_of_order_are_refused(stick, upstream_key, trusted):
    # given
    blob_1, blob_2 = b"satu", b"dua"
    path = hostile(
        stick / "desa.balai",
        upstream_key,
        [regular(f"blobs/{sha(blob_2)}", blob_2), regular(f"blobs/{sha(blob_1)}", blob_1)],
        listed=[entry(f"blobs/{sha(blob_1)}", blob_1), entry(f"blobs/{sha(blob_2)}", blob_2)],
    )

    # when
    error, written = refusal_of(path, trusted)

    # then
    assert type(error) is MemberMismatch
    assert written == set()


def test_member_size_differing_from_the_manifest_is_refused(stick, upstream_key, trusted):
    # given
    page = compress_page(b"{}")
    listed = [{**entry(PAGE_1, page), "size": len(page) + 1}]
    path = hostile(stick / "desa.balai", upstream_key, [regular(PAGE_1, page)], listed=listed)

    # when
    error, written = refusal_of(path, trusted)

    # then
    assert type(error) is MemberMismatch
    assert "bytes" in error.reason
    assert written == set()


def test_page_byte_tampered_after_signing_is_refused(good_bundle, trusted, contents):
    # given
    pages, _ = contents
    data = bytearray(good_bundle.read_bytes())
    at = data.find(pages[1]) + len(pages[1]) // 2
    data[at] ^= 0x01
    good_bundle.write_bytes(bytes(data))

    # when
    error, written = refusal_of(good_bundle, trusted)

    # then
    assert type(error) is HashMismatch
    assert "changes/000002" in error.reason
    assert written == set()


def test_blob_whose_name_is_not_its_hash_is_refused(stick, upstream_key, trusted):
    # given: the manifest is honest about the content's hash, the name is another's
    blob = b"foto ktp"
    name = f"blobs/{sha(b'foto lain')}"
    path = hostile(stick / "desa.balai", upstream_key, [regular(name, blob)])

    # when
    error, written = refusal_of(path, trusted)

    # then
    assert type(error) is BlobNameMismatch
    assert written == set()


def test_blob_whose_content_is_not_its_name_is_refused(stick, upstream_key, trusted):
    # given: name and listed hash agree, the content does not
    name = f"blobs/{sha(b'foto asli')}"
    listed = [{"name": name, "size": 9, "sha256": sha(b"foto asli")}]
    path = hostile(stick / "desa.balai", upstream_key, [regular(name, b"foto palu")], listed=listed)

    # when
    error, written = refusal_of(path, trusted)

    # then
    assert type(error) is HashMismatch
    assert written == set()


# Refusals: limits -----------------------------------------------------------------------------


def test_page_over_the_limit_is_refused(good_bundle, trusted):
    # given
    limits = BundleLimits(max_page_bytes=100)

    # when
    error, written = refusal_of(good_bundle, trusted, limits=limits)

    # then
    assert type(error) is TooLarge
    assert "changes/000001" in error.reason
    assert written == set()


def test_blob_over_the_setting_is_refused(good_bundle, trusted, settings):
    # given
    settings.SYNC_BLOB_MAX_BYTES = MiB

    # when
    error, written = refusal_of(good_bundle, trusted)

    # then
    assert type(error) is TooLarge
    assert "blobs/" in error.reason
    assert written == set()


def test_total_over_the_limit_is_refused(good_bundle, trusted):
    # given
    limits = BundleLimits(max_total_bytes=MiB)

    # when
    error, written = refusal_of(good_bundle, trusted, limits=limits)

    # then
    assert type(error) is TooLarge
    assert written == set()


def test_too_many_members_are_refused(good_bundle, trusted):
    # given
    limits = BundleLimits(max_members=5)

    # when
    error, written = refusal_of(good_bundle, trusted, limits=limits)

    # then
    assert type(error) is TooLarge
    assert "6 members" in error.reason
    assert written == set()


# After verification: the file changes on the stick -------------------------------------------


def test_page_changed_after_verification_is_refused_when_read(good_bundle, trusted, contents):
    # given
    pages, _ = contents
    bundle = open_bundle(good_bundle, trusted_key=trusted)
    at = good_bundle.read_bytes().find(pages[2]) + 10
    with good_bundle.open("r+b") as f:
        f.seek(at)
        f.write(b"\xff")

    # when
    with bundle, pytest.raises(HashMismatch) as excinfo:
        for _ in bundle.pages():
            pass

    # then
    assert excinfo.type is HashMismatch
    assert "changes/000003" in excinfo.value.reason


def test_blob_changed_after_verification_is_refused_when_read(good_bundle, trusted, contents):
    # given
    _, blobs = contents
    bundle = open_bundle(good_bundle, trusted_key=trusted)
    at = good_bundle.read_bytes().find(blobs[0]) + MiB
    with good_bundle.open("r+b") as f:
        f.seek(at)
        f.write(b"\x00\x00")
    stream = bundle.open_blob(sha(blobs[0]))

    # when
    with bundle, pytest.raises(HashMismatch) as excinfo:
        while stream.read(64 * 1024):
            pass

    # then
    assert excinfo.type is HashMismatch


def test_open_blob_reads_exactly_the_member(good_bundle, trusted, contents):
    # given
    _, blobs = contents

    # when
    with open_bundle(good_bundle, trusted_key=trusted) as bundle:
        stream = bundle.open_blob(sha(blobs[2]))
        chunks = [stream.read(4), stream.read(1000), stream.read(10)]

        # then
        assert chunks == [blobs[2][:4], blobs[2][4:], b""]
        with pytest.raises(KeyError):
            bundle.open_blob(sha(b"not there"))
