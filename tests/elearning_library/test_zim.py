"""Balai's own checks of a ZIM file (header, size, checksum), before any Kiwix program opens it."""

import hashlib
import struct

import pytest

from elearning.library.zim import HEADER, ZimInvalid, zim_header_read, zim_validate


def _copy(tmp_path, data: bytes, name="arsip.zim"):
    path = tmp_path / name
    path.write_bytes(data)
    return path


def _resealed(data: bytearray) -> bytes:
    """``data`` with its trailing MD5 made right again (a forger's file, not a damaged one)."""
    body = bytes(data[:-16])
    return body + hashlib.md5(body, usedforsecurity=False).digest()


def test_a_sound_archive_passes(small_zim):
    # given / when
    header = zim_validate(small_zim)
    # then
    assert header.major in (5, 6)
    assert header.entry_count > 4
    assert header.size == small_zim.stat().st_size


def test_a_truncated_copy_is_refused_with_sizes(tmp_path, small_zim):
    # given: the first half of the archive, as a pulled USB stick leaves it
    data = small_zim.read_bytes()
    path = _copy(tmp_path, data[: len(data) // 2])
    # when / then
    with pytest.raises(ZimInvalid, match="terpotong atau rusak") as caught:
        zim_validate(path)
    assert str(len(data)) in str(caught.value)


def test_a_file_that_is_not_a_zim_is_refused(tmp_path):
    # given
    path = _copy(tmp_path, b"<html>bukan arsip</html>" * 10)
    # when / then
    with pytest.raises(ZimInvalid, match="bukan arsip ZIM"):
        zim_validate(path)


def test_an_empty_file_and_a_bare_magic_number_are_refused(tmp_path):
    # given
    empty = _copy(tmp_path, b"", "kosong.zim")
    magic_only = _copy(tmp_path, struct.pack("<I", 0x044D495A) + b"\0" * 10, "pendek.zim")
    # when / then
    with pytest.raises(ZimInvalid, match="bukan arsip ZIM"):
        zim_validate(empty)
    with pytest.raises(ZimInvalid, match="kepalanya saja tidak lengkap"):
        zim_validate(magic_only)


def test_a_damaged_byte_fails_the_checksum(tmp_path, small_zim):
    # given: one byte flipped in the middle
    data = bytearray(small_zim.read_bytes())
    data[len(data) // 2] ^= 0xFF
    path = _copy(tmp_path, bytes(data))
    # when / then: the header alone looks fine
    zim_header_read(path)
    with pytest.raises(ZimInvalid, match="checksum MD5"):
        zim_validate(path)


def test_a_hostile_header_pointing_outside_the_file_is_refused(tmp_path, small_zim):
    # given: the cluster pointer list moved past the end, the checksum forged to match
    data = bytearray(small_zim.read_bytes())
    fields = list(HEADER.unpack_from(data))
    fields[8] = len(data) * 4  # clusterPtrPos
    HEADER.pack_into(data, 0, *fields)
    path = _copy(tmp_path, _resealed(data))
    # when / then
    with pytest.raises(ZimInvalid, match="menunjuk ke luar berkas"):
        zim_validate(path)


def test_an_unknown_major_version_is_refused(tmp_path, small_zim):
    # given
    data = bytearray(small_zim.read_bytes())
    struct.pack_into("<H", data, 4, 9)
    path = _copy(tmp_path, _resealed(data))
    # when / then
    with pytest.raises(ZimInvalid, match="versi 9"):
        zim_validate(path)
