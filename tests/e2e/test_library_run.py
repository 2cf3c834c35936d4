"""The library under ``scripts/run`` as real processes: kiwix-serve started beside gunicorn and
the cluster, archives found at start and when dropped later, kiwix-serve restarted when it dies,
nothing left running after the hub stops.

One hub for the module (marked e2e and kept on one worker by its folder).
"""

import os
import shutil
import signal
import time

import pytest

from tests.elearning_library.zims import SMALL, ZimSpec, page_html, zim_build
from tests.harness import templates
from tests.harness.hubs import HubStarter, manage_shell
from tests.harness.processes import direct_opener, http_status, wait_until

HEALTH = ZimSpec(
    file_name="sehat.zim",
    title="Pustaka Sehat",
    description="Kesehatan keluarga",
    pages={
        "index.html": page_html("Sehat", "<p>Posyandu setiap bulan.</p>"),
        "imunisasi.html": page_html("Imunisasi", "<p>Imunisasi campak untuk balita.</p>"),
    },
)


def _get(hub, path: str) -> tuple[int, str]:
    try:
        with direct_opener.open(hub.url(path), timeout=10) as answer:
            return answer.status, answer.read().decode()
    except Exception as exc:  # noqa: BLE001 - an HTTPError carries the status and page
        return getattr(exc, "code", 0), exc.read().decode() if hasattr(exc, "read") else ""


def _kiwix_pids(hub) -> list[int]:
    return [pid for pid, cmd in hub.processes() if cmd.startswith("kiwix-serve")]


@pytest.fixture(scope="module")
def hub(tmp_path_factory):
    base = tmp_path_factory.mktemp("library-hub")
    data_dir = base / "data"
    templates.village_data_dir(data_dir, demo=False)
    (data_dir / "library").mkdir()
    shutil.copyfile(zim_build(SMALL), data_dir / "library" / "tani.zim")
    starter = HubStarter(base)
    yield starter(data_dir=data_dir)
    # fails when any process of the hub (kiwix-serve included) outlives scripts/run
    starter.stop_all()


def test_scripts_run_serves_the_archives_found_at_start(hub):
    # given an archive in the library folder before the start / when
    status, page = _get(hub, "/perpustakaan/?q=padi")
    article_status, article = _get(hub, "/pustaka/tani/padi.html")
    # then
    assert status == 200, page[-2000:]
    assert "Pustaka Tani" in page and 'href="/pustaka/tani/padi.html"' in page
    assert article_status == 200 and "Menanam padi" in article
    assert "kiwix-serve on 127.0.0.1:" in hub.output()


def test_an_archive_dropped_while_running_appears(hub):
    # given
    shutil.copyfile(zim_build(HEALTH), hub.data_dir / "library" / "sehat.zim")
    # when: the scan the cluster runs every minute, run now
    manage_shell(
        hub.data_dir,
        "import json\nfrom elearning.library.services import library_scan\n"
        "print(json.dumps(library_scan().served))",
    )
    # then: kiwix-serve reloads the library and the page lists it as soon as it has (a page
    # asked for while it was still reloading is neither cached nor its catalog kept)
    assert wait_until(lambda: "Pustaka Sehat" in _get(hub, "/perpustakaan/")[1], timeout=30)
    assert http_status(hub.url("/pustaka/sehat/imunisasi.html")) == 200


def test_kiwix_serve_is_started_again_when_it_dies(hub):
    # given
    (old,) = _kiwix_pids(hub)
    # when
    os.kill(old, signal.SIGKILL)
    started = time.monotonic()
    # then: a new kiwix-serve serves the library within seconds; the hub stayed up
    assert wait_until(lambda: http_status(hub.url("/pustaka/tani/padi.html")) == 200 and
                      _kiwix_pids(hub) not in ([], [old]), timeout=20)  # fmt: skip
    assert time.monotonic() - started < 20
    assert http_status(hub.url("/healthz")) == 200
    assert hub.running
