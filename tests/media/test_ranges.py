"""HTTP Range file responses (hub.media.ranges) and the /media/ view that uses them."""

import pytest
from django.test import RequestFactory, override_settings

from hub.media.ranges import parse_range, ranged_file_response

DATA = bytes(range(256)) * 40  # 10240 bytes, every offset recognisable


@pytest.fixture
def media_file(tmp_path):
    path = tmp_path / "klip.mp4"
    path.write_bytes(DATA)
    return path


def body(response) -> bytes:
    if response.streaming:
        return b"".join(response.streaming_content)
    return response.content


def get(path, method="get", **headers):
    request = getattr(RequestFactory(), method)("/media/x", headers=headers)
    return ranged_file_response(request, path)


def test_a_plain_get_sends_the_whole_file_and_says_ranges_are_accepted(media_file):
    # when
    response = get(media_file)
    # then
    assert response.status_code == 200
    assert response["Accept-Ranges"] == "bytes"
    assert response["Content-Length"] == str(len(DATA))
    assert response["Content-Type"] == "video/mp4"
    assert body(response) == DATA


def test_a_range_in_the_middle_is_a_206_with_exactly_those_bytes(media_file):
    response = get(media_file, Range="bytes=5000-5099")
    assert response.status_code == 206
    assert response["Content-Range"] == f"bytes 5000-5099/{len(DATA)}"
    assert response["Content-Length"] == "100"
    assert body(response) == DATA[5000:5100]


def test_an_open_range_runs_to_the_end(media_file):
    response = get(media_file, Range="bytes=10000-")
    assert response.status_code == 206
    assert response["Content-Range"] == f"bytes 10000-10239/{len(DATA)}"
    assert body(response) == DATA[10000:]


def test_a_suffix_range_sends_the_last_bytes(media_file):
    response = get(media_file, Range="bytes=-16")
    assert response.status_code == 206
    assert response["Content-Range"] == f"bytes 10224-10239/{len(DATA)}"
    assert body(response) == DATA[-16:]


def test_a_suffix_longer_than_the_file_sends_all_of_it_as_a_206(media_file):
    response = get(media_file, Range="bytes=-999999")
    assert response.status_code == 206
    assert response["Content-Range"] == f"bytes 0-10239/{len(DATA)}"
    assert body(response) == DATA


def test_a_range_running_past_the_end_is_cut_at_the_end(media_file):
    response = get(media_file, Range="bytes=10200-99999")
    assert response.status_code == 206
    assert response["Content-Range"] == f"bytes 10200-10239/{len(DATA)}"
    assert body(response) == DATA[10200:]


@pytest.mark.parametrize("header", ["bytes=10240-", "bytes=20000-20010", "bytes=-0"])
def test_a_range_beyond_the_end_is_a_416_naming_the_size(media_file, header):
    response = get(media_file, Range=header)
    assert response.status_code == 416
    assert response["Content-Range"] == f"bytes */{len(DATA)}"
    assert body(response) == b""


@pytest.mark.parametrize(
    "header", ["bytes=abc", "items=0-5", "bytes=9-3", "bytes=-", "bytes=1-2-3", "bytes"]
)
def test_a_malformed_range_is_ignored_and_the_whole_file_sent(media_file, header):
    response = get(media_file, Range=header)
    assert response.status_code == 200
    assert body(response) == DATA


def test_several_ranges_are_answered_with_the_whole_file(media_file):
    response = get(media_file, Range="bytes=0-9,100-109")
    assert response.status_code == 200
    assert "Content-Range" not in response
    assert body(response) == DATA


def test_a_zero_length_file_is_a_200_with_no_body_whatever_the_range(tmp_path):
    empty = tmp_path / "kosong.vtt"
    empty.write_bytes(b"")
    for headers in ({}, {"Range": "bytes=0-"}, {"Range": "bytes=-5"}):
        response = get(empty, **headers)
        assert response.status_code == 200
        assert response["Content-Length"] == "0"
        assert body(response) == b""


def test_head_gives_the_headers_of_the_range_without_a_body(media_file):
    response = get(media_file, method="head", Range="bytes=100-199")
    assert response.status_code == 206
    assert response["Content-Length"] == "100"
    assert response["Content-Range"] == f"bytes 100-199/{len(DATA)}"
    assert body(response) == b""


def test_if_range_with_the_current_etag_honours_the_range_and_a_stale_one_does_not(media_file):
    etag = get(media_file)["ETag"]
    current = get(media_file, Range="bytes=0-9", **{"If-Range": etag})
    stale = get(media_file, Range="bytes=0-9", **{"If-Range": '"stale"'})
    assert current.status_code == 206 and body(current) == DATA[:10]
    assert stale.status_code == 200 and body(stale) == DATA


def test_if_none_match_with_the_etag_is_a_304(media_file):
    etag = get(media_file)["ETag"]
    response = get(media_file, **{"If-None-Match": etag})
    assert response.status_code == 304


def test_an_open_file_and_a_download_name_are_accepted(media_file):
    # given an open file (egov's PDFs come from a FileField)
    request = RequestFactory().get("/x", headers={"Range": "bytes=0-3"})
    with open(media_file, "rb") as handle:
        # when
        response = ranged_file_response(
            request, handle, content_type="application/pdf", filename="surat keterangan.pdf"
        )
        # then
        assert response.status_code == 206
        assert response["Content-Type"] == "application/pdf"
        assert "surat%20keterangan.pdf" in response["Content-Disposition"]
        assert body(response) == DATA[:4]


def test_parse_range_on_its_own():
    assert parse_range("bytes=0-0", 1) == (0, 0)
    assert parse_range("bytes=0-", 0) is None
    assert parse_range("bytes=5-", 5) == "unsatisfiable"


@pytest.fixture
def media_root(tmp_path):
    root = tmp_path / "media"
    (root / "belajar").mkdir(parents=True)
    (root / "belajar" / "video.mp4").write_bytes(DATA)
    (tmp_path / "rahasia.txt").write_text("jangan")
    with override_settings(MEDIA_ROOT=root):
        yield root


@pytest.mark.django_db
def test_the_media_view_answers_ranges(client, media_root):
    # when
    response = client.get("/media/belajar/video.mp4", headers={"Range": "bytes=2048-4095"})
    # then
    assert response.status_code == 206
    assert body(response) == DATA[2048:4096]
    assert "immutable" in response["Cache-Control"]


@pytest.mark.django_db
@pytest.mark.parametrize(
    "path",
    [
        "/media/../rahasia.txt",
        "/media/belajar/../../rahasia.txt",
        "/media/%2e%2e/rahasia.txt",
        "/media/belajar/%2e%2e%2f%2e%2e%2frahasia.txt",
        "/media/belajar/",
        "/media/belajar/tidak-ada.mp4",
    ],
)
def test_the_media_view_refuses_paths_outside_the_media_root(client, media_root, path):
    response = client.get(path)
    assert response.status_code == 404
    assert b"jangan" not in body(response)


@pytest.mark.django_db
def test_a_range_of_a_text_file_is_not_gzipped(client, media_root):
    # given captions (text/vtt is text, which the hub gzips)
    (media_root / "belajar" / "teks.vtt").write_text(
        "WEBVTT\n\n" + "00:00.000 --> 00:01.000\nHalo\n\n" * 50
    )
    # when a player asks for a range and accepts gzip
    response = client.get(
        "/media/belajar/teks.vtt", headers={"Range": "bytes=0-6", "Accept-Encoding": "gzip"}
    )
    # then the bytes are the file's own
    assert response.status_code == 206
    assert "Content-Encoding" not in response
    assert body(response) == b"WEBVTT\n"
