"""The library folder as the source of truth: scans, ``library_add``, refused files."""

import hashlib
import json
import shutil
import urllib.request

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from elearning.library.selectors import library_has_archives
from elearning.library.services import (
    LIBRARY_XML,
    STATE_FILE,
    archive_add,
    library_prepare,
    library_scan,
)
from hub.core import pagecache

from .zims import kiwix_serve_start


def _books(folder) -> str:
    return (folder / LIBRARY_XML).read_text()


def _truncated(tmp_path, small_zim, name="rusak.zim"):
    path = tmp_path / name
    path.write_bytes(small_zim.read_bytes()[:20_000])
    return path


def test_a_dropped_archive_is_served_after_a_scan(empty_library, small_zim):
    # given: a technician copies an archive into the folder
    empty_library.mkdir()
    shutil.copyfile(small_zim, empty_library / "tani.zim")
    before = pagecache.generation()
    # when
    result = library_scan()
    # then: kiwix-manage wrote it into the library kiwix-serve watches
    assert result.served == ["tani.zim"] and result.changed
    assert 'path="tani.zim"' in _books(empty_library)
    assert 'title="Pustaka Tani"' in _books(empty_library)
    assert library_has_archives()
    assert pagecache.generation() != before


def test_a_second_scan_with_nothing_new_changes_nothing(empty_library, small_zim):
    # given
    empty_library.mkdir()
    shutil.copyfile(small_zim, empty_library / "tani.zim")
    library_scan()
    written = (empty_library / LIBRARY_XML).stat().st_mtime_ns
    # when
    result = library_scan()
    # then
    assert result.served == ["tani.zim"] and not result.changed
    assert (empty_library / LIBRARY_XML).stat().st_mtime_ns == written


def test_a_truncated_archive_in_the_folder_is_refused_and_the_others_stay(
    empty_library, small_zim, tmp_path
):
    # given: a good archive and a copy cut off half way
    empty_library.mkdir()
    shutil.copyfile(small_zim, empty_library / "tani.zim")
    shutil.copyfile(_truncated(tmp_path, small_zim), empty_library / "rusak.zim")
    # when
    result = library_scan()
    # then
    assert result.served == ["tani.zim"]
    assert "terpotong" in result.refused["rusak.zim"]
    assert "rusak.zim" not in _books(empty_library)
    state = json.loads((empty_library / STATE_FILE).read_text())
    assert "terpotong" in state["files"]["rusak.zim"]["error"]


def test_a_removed_archive_leaves_the_library(empty_library, small_zim):
    # given
    empty_library.mkdir()
    shutil.copyfile(small_zim, empty_library / "tani.zim")
    library_scan()
    # when
    (empty_library / "tani.zim").unlink()
    result = library_scan()
    # then
    assert result.served == [] and result.changed
    assert "<book" not in _books(empty_library)
    assert not library_has_archives()


def test_hidden_copies_and_symlinks_are_left_alone(empty_library, small_zim, tmp_path):
    # given: a copy still under way (hidden name) and a link to a file elsewhere
    empty_library.mkdir()
    shutil.copyfile(small_zim, empty_library / ".tani.zim-sedang-disalin")
    shutil.copyfile(small_zim, tmp_path / "di-luar.zim")
    (empty_library / "tautan.zim").symlink_to(tmp_path / "di-luar.zim")
    # when
    result = library_scan()
    # then
    assert result.served == [] and result.refused == {}


def test_library_add_copies_a_checked_archive(empty_library, small_zim):
    # given / when
    result = archive_add(source=small_zim)
    # then: the cache's file name is kept
    assert result.served == [small_zim.name]
    copied = empty_library / small_zim.name
    assert hashlib.sha256(copied.read_bytes()).digest() == (
        hashlib.sha256(small_zim.read_bytes()).digest()
    )


def test_library_add_refuses_a_bad_file_and_changes_nothing(empty_library, small_zim, tmp_path):
    # given: a library with one archive
    archive_add(source=small_zim)
    before = sorted(p.name for p in empty_library.iterdir())
    xml = _books(empty_library)
    # when / then
    with pytest.raises(ValueError, match="terpotong"):
        archive_add(source=_truncated(tmp_path, small_zim))
    assert sorted(p.name for p in empty_library.iterdir()) == before
    assert _books(empty_library) == xml


def test_library_add_refuses_a_name_already_there_unless_replacing(empty_library, small_zim):
    # given
    archive_add(source=small_zim)
    # when / then
    with pytest.raises(ValueError, match="sudah ada"):
        archive_add(source=small_zim)
    assert archive_add(source=small_zim, replace=True).served == [small_zim.name]


def test_library_add_refuses_names_kiwix_serve_would_mangle(empty_library, small_zim, tmp_path):
    # given
    odd = tmp_path / "arsip saya?.zim"
    shutil.copyfile(small_zim, odd)
    # when / then
    with pytest.raises(ValueError, match="Nama berkas"):
        archive_add(source=odd)
    assert not empty_library.exists() or not any(empty_library.glob("*.zim"))


def test_the_command_reports_success_and_failure(empty_library, small_zim, tmp_path, capsys):
    # given / when
    call_command("library_add", str(small_zim))
    # then
    assert "OK" in capsys.readouterr().out
    with pytest.raises(CommandError, match="terpotong"):
        call_command("library_add", str(_truncated(tmp_path, small_zim)))
    with pytest.raises(CommandError, match="tidak ada"):
        call_command("library_add", str(tmp_path / "tidak-ada.zim"))


def test_library_scan_command_lists_refused_files(empty_library, small_zim, tmp_path, capsys):
    # given
    library_prepare()
    shutil.copyfile(_truncated(tmp_path, small_zim), empty_library / "rusak.zim")
    # when
    call_command("library_scan")
    # then
    out = capsys.readouterr().out
    assert "TOLAK rusak.zim" in out and "terpotong" in out


def test_kiwix_serve_keeps_serving_when_a_hostile_file_is_dropped(
    empty_library, small_zim, tmp_path
):
    # given: kiwix-serve watching a library with the good archive
    empty_library.mkdir()
    shutil.copyfile(small_zim, empty_library / "tani.zim")
    library_scan()
    server = kiwix_serve_start(empty_library / LIBRARY_XML, tmp_path / "kiwix.log")
    try:
        # when: a file with the ZIM magic number and garbage after it arrives
        (empty_library / "jahat.zim").write_bytes(b"ZIM\x04" + b"\xff" * 5000)
        result = library_scan()
        # then: refused, and kiwix-serve still serves the good one
        assert "jahat.zim" in result.refused
        with urllib.request.urlopen(f"{server.url}/pustaka/tani/padi.html", timeout=5) as answer:
            assert b"Menanam padi" in answer.read()
        assert server.process.poll() is None
    finally:
        server.stop()
