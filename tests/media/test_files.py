"""FileFieldAdapter: a plain file field travels as its SHA-256 and comes back as the same bytes."""

import hashlib
import io

import pytest
from django.core.files.base import ContentFile
from PIL import Image
from wagtail.documents import get_document_model

from hub.media.files import FileFieldAdapter, safe_name

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def pdf_only(handle):
    if handle.read(5) != b"%PDF-":
        raise ValueError("bukan PDF")


def make_document(data=PDF, name="perdes.pdf"):
    document = get_document_model()(title="Perdes")
    document.file.save(name, ContentFile(data), save=False)
    document.save()
    return document


def ref_for(data, name="perdes.pdf"):
    return {"sha256": hashlib.sha256(data).hexdigest(), "size": len(data), "meta": {"name": name}}


def test_a_file_goes_out_as_its_hash_size_and_bare_name():
    # given a document with a PDF
    document = make_document()
    # when it is put on the wire
    ref = FileFieldAdapter().to_wire(document, "file")
    # then it names the bytes by SHA-256, without the storage path
    assert ref == {
        "sha256": hashlib.sha256(PDF).hexdigest(),
        "size": len(PDF),
        "meta": {"name": "perdes.pdf", "type": "application/pdf"},
    }
    with FileFieldAdapter().open(document, "file") as handle:
        assert handle.read() == PDF


def test_an_empty_field_sends_nothing():
    # given a document without a file
    document = get_document_model()(title="Kosong")
    # when / then it has no blob reference
    assert FileFieldAdapter().to_wire(document, "file") is None


def test_a_blob_arriving_becomes_the_same_file():
    # given a new, unsaved record on the receiving hub
    document = get_document_model()(title="Perdes")
    # when the blob is attached
    FileFieldAdapter().attach(document, "file", ref_for(PDF), io.BytesIO(PDF))
    document.save()
    # then the field holds the very bytes, named by their hash and type, not by the sender
    document.refresh_from_db()
    assert document.file.name == f"documents/{hashlib.sha256(PDF).hexdigest()}.pdf"
    with document.file.open("rb") as handle:
        assert handle.read() == PDF


def test_a_record_whose_blob_is_on_its_way_keeps_what_is_coming(tmp_path):
    # given an adapter that remembers the hash and size on the record
    adapter = FileFieldAdapter(sha_field="file_hash", size_field="file_size")
    document = get_document_model()(title="Video")
    # when the record arrives before its blob
    adapter.attach(document, "file", ref_for(PDF), None)
    # then the file is empty but the record says what is expected
    assert not document.file
    assert document.file_hash == hashlib.sha256(PDF).hexdigest()
    assert document.file_size == len(PDF)


@pytest.mark.parametrize(
    ("adapter", "data", "name", "reason"),
    [
        (FileFieldAdapter(content_types=("application/pdf",)), PDF, "x.exe", "not accepted"),
        (FileFieldAdapter(max_size=10), PDF, "perdes.pdf", "more than 10"),
        (FileFieldAdapter(validate=pdf_only), b"<html>", "perdes.pdf", "bukan PDF"),
    ],
    ids=["wrong type by name", "too big", "bytes are not a PDF"],
)
def test_a_refused_file_raises_and_stores_nothing(adapter, data, name, reason):
    # given a record and a blob the adapter must refuse
    document = get_document_model()(title="Perdes")
    # when it is attached / then it is refused with the reason, and the field stays empty
    with pytest.raises(ValueError, match=reason):
        adapter.attach(document, "file", ref_for(data, name), io.BytesIO(data))
    assert not document.file


def test_a_hostile_name_loses_its_directories():
    # given names a peer could send
    # when / then only a bare, visible file name is kept
    assert safe_name("../../etc/passwd") == "passwd"
    assert safe_name("..\\..\\win.ini") == "win.ini"
    assert safe_name(".htaccess") == "htaccess"
    assert safe_name("") == "berkas"


def test_the_sender_hashes_a_file_once_and_again_when_it_changes():
    # given an adapter keeping the hash on the row (Document.file_hash is 40 chars, for SHA-1;
    # SQLite keeps the 64 of a SHA-256, which is all this test needs)
    adapter = FileFieldAdapter(sha_field="file_hash", size_field="file_size")
    document = make_document()
    get_document_model().objects.filter(pk=document.pk).update(file_hash="", file_size=None)
    document.refresh_from_db()
    # when it goes out
    first = adapter.to_wire(document, "file")
    # then the row keeps the hash
    document.refresh_from_db()
    assert document.file_hash == first["sha256"]
    # when the file is replaced by one of another size
    document.file.save("perdes-2.pdf", ContentFile(PDF + b"% edit\n"), save=True)
    second = adapter.to_wire(document, "file")
    # then the new bytes are hashed
    assert second["sha256"] == hashlib.sha256(PDF + b"% edit\n").hexdigest()


def gif_with_script() -> bytes:
    """A real GIF whose comment block holds a script: a browser sniffing it as HTML runs it."""
    out = io.BytesIO()
    Image.new("RGB", (4, 4), (10, 200, 10)).save(
        out, "GIF", comment=b"<html><script>alert(document.cookie)</script></html>"
    )
    return out.getvalue()


def test_a_gif_named_html_is_stored_as_its_hash_dot_gif():
    # given a GIF with a <script> comment that the sender names x.html and declares as HTML
    data = gif_with_script()
    ref = {**ref_for(data, "x.html"), "meta": {"name": "x.html", "type": "text/html"}}
    document = get_document_model()(title="Lampiran")
    # when it arrives
    FileFieldAdapter().attach(document, "file", ref, io.BytesIO(data))
    document.save()
    # then it is stored as <sha>.gif: its bytes decide, never the sender's name
    sha = hashlib.sha256(data).hexdigest()
    assert document.file.name == f"documents/{sha}.gif"


@pytest.mark.parametrize(
    ("data", "declared", "extension"),
    [
        (b"<html><script>alert(1)</script>", "text/html", "bin"),
        (b"<svg onload=alert(1)>", "image/svg+xml", "bin"),
        (b"plain words", "text/plain", "txt"),
        (PDF + b"% anything\n", "application/octet-stream", "pdf"),
    ],
    ids=["html", "svg", "text", "pdf declared as anything"],
)
def test_a_file_gets_an_extension_only_from_a_known_type(data, declared, extension):
    # given a file the sender names page.html and declares as some type
    ref = {**ref_for(data, "page.html"), "meta": {"name": "page.html", "type": declared}}
    document = get_document_model()(title="Lampiran")
    # when it arrives
    FileFieldAdapter().attach(document, "file", ref, io.BytesIO(data))
    # then its extension comes from the recognised bytes or a known declared type, else .bin
    assert document.file.name == f"documents/{hashlib.sha256(data).hexdigest()}.{extension}"


def test_a_bad_hash_in_a_reference_is_refused():
    # given a reference whose "hash" would be a path
    ref = {"sha256": "../../x", "size": len(PDF), "meta": {"name": "perdes.pdf"}}
    document = get_document_model()(title="Perdes")
    # when / then it is refused and nothing is stored
    with pytest.raises(ValueError, match="SHA-256"):
        FileFieldAdapter().attach(document, "file", ref, io.BytesIO(PDF))
    assert not document.file
