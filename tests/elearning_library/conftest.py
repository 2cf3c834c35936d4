"""Fixtures of the library tests: the small archive (built once, cached), a real kiwix-serve on a
library made by the real scan (once per session), and empty library folders."""

import shutil

import pytest
from django.core.cache import cache
from django.test import override_settings
from django.utils import translation

from elearning.library.services import library_scan
from tests.harness.processes import free_port

from .zims import SMALL, kiwix_serve_start, tools_required, zim_build


@pytest.fixture(scope="session")
def small_zim():
    tools_required()
    return zim_build(SMALL)


@pytest.fixture(scope="session")
def served_library(tmp_path_factory, small_zim):
    """A library folder holding the small archive, scanned, with kiwix-serve running on it."""
    folder = tmp_path_factory.mktemp("served-library")
    shutil.copyfile(small_zim, folder / "tani.zim")
    with override_settings(LIBRARY_DIR=folder):
        result = library_scan()
    assert result.served == ["tani.zim"], result.refused
    server = kiwix_serve_start(folder / "library.xml", folder.parent / "kiwix-serve.log")
    yield server, folder
    server.stop()


@pytest.fixture(autouse=True)
def _indonesian():
    """The messages asserted are the Indonesian ones; a page request in English (here or in
    another app's test) leaves English active in the thread (the locale middleware activates
    the villager's choice and never resets it)."""
    with translation.override("id"):
        yield


@pytest.fixture(autouse=True)
def _fresh_catalog_cache():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def library(settings, served_library):
    """The hub pointed at the running kiwix-serve and its library."""
    server, folder = served_library
    settings.LIBRARY_DIR = folder
    settings.LIBRARY_KIWIX_URL = server.url
    return server


@pytest.fixture
def library_down(settings, tmp_path):
    """An empty library and no kiwix-serve where the hub looks for it."""
    settings.LIBRARY_DIR = tmp_path / "library"
    settings.LIBRARY_KIWIX_URL = f"http://127.0.0.1:{free_port()}"


@pytest.fixture
def empty_library(settings, tmp_path):
    """An empty library folder of this test (no kiwix-serve)."""
    tools_required()
    folder = tmp_path / "library"
    settings.LIBRARY_DIR = folder
    return folder
