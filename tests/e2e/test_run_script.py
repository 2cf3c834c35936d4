"""scripts/run end to end: gunicorn and the django-q2 cluster as real processes on 127.0.0.1.

An image uploaded in the admin gets its WebP renditions from the cluster (never from a page
request) and the villager's page shows them; SIGTERM stops everything; a restart keeps the
secret key and the data.
"""

import io
import json
import os
import re
import signal
import sqlite3
import time
from contextlib import contextmanager
from html.parser import HTMLParser

import pytest
import requests
from PIL import Image, ImageDraw

from tests.harness.hubs import STOP_TIMEOUT, Hub, HubStarter
from tests.harness.processes import hub_processes

pytestmark = pytest.mark.e2e

RENDITION_TIMEOUT = 60
# Visits in a row: enough for each of the two gunicorn workers to serve some of them.
VISITS = 10
NOTICE_LINK = r"(?:[a-z0-9-]+-)?[0-9a-f]{10}"


def direct_session() -> requests.Session:
    """A browser-like session that ignores proxy settings: requests go to 127.0.0.1 only."""
    session = requests.Session()
    session.trust_env = False
    return session


def csrf_token(html: str) -> str:
    match = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html)
    assert match, "no CSRF token in the form"
    return match.group(1)


def admin_login(hub: Hub, password: str) -> requests.Session:
    session = direct_session()
    form = session.get(hub.url("/admin/login/"), timeout=10)
    response = session.post(
        hub.url("/admin/login/"),
        data={
            "csrfmiddlewaretoken": csrf_token(form.text),
            "username": "admin",
            "password": password,
            "next": "/admin/",
        },
        timeout=10,
    )
    assert response.status_code == 200
    assert response.url == hub.url("/admin/"), "the admin login was refused"
    return session


def is_logged_in(hub: Hub, session: requests.Session) -> bool:
    response = session.get(hub.url("/admin/"), allow_redirects=False, timeout=10)
    return response.status_code == 200


def photo_png(width: int = 1200, height: int = 800) -> bytes:
    """A PNG with some structure (a flat colour would make suspiciously tiny WebP files)."""
    image = Image.new("RGB", (width, height), (90, 160, 220))
    draw = ImageDraw.Draw(image)
    for row in range(0, height, 40):
        draw.rectangle([0, row, width, row + 20], fill=(60, 130 + row % 100, 70))
    draw.ellipse([width - 300, 60, width - 120, 240], fill=(250, 230, 140))
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


class _ImageTags(HTMLParser):
    def __init__(self):
        super().__init__()
        self.images: list[dict[str, str]] = []

    def handle_starttag(self, tag, attrs):
        if tag == "img":
            self.images.append({name: value or "" for name, value in attrs})


def image_with_alt(html: str, alt: str) -> dict[str, str]:
    parser = _ImageTags()
    parser.feed(html)
    found = [image for image in parser.images if image.get("alt") == alt]
    assert len(found) == 1, f"expected one <img alt={alt!r}>, found {parser.images}"
    return found[0]


def srcset_entries(image: dict[str, str]) -> list[tuple[str, int]]:
    entries = []
    for candidate in image.get("srcset", "").split(","):
        url, descriptor = candidate.split()
        assert descriptor.endswith("w")
        entries.append((url, int(descriptor[:-1])))
    return entries


def upload_image(hub: Hub, admin: requests.Session, title: str, alt: str) -> int:
    """Through the admin's image add view, as an official would; returns the image's id."""
    form = admin.get(hub.url("/admin/images/add/"), timeout=10)
    response = admin.post(
        hub.url("/admin/images/add/"),
        data={"csrfmiddlewaretoken": csrf_token(form.text), "title": title, "description": alt},
        files={"file": ("kebun-kopi.png", photo_png(), "image/png")},
        allow_redirects=False,
        timeout=30,
    )
    assert response.status_code == 302, response.text[:2000]
    listing = admin.get(hub.url("/admin/images/"), params={"q": title}, timeout=10).text
    ids = set(re.findall(r'href="/admin/images/(\d+)/"', listing))
    assert len(ids) == 1, f"expected the one uploaded image in the admin listing, got {ids}"
    return int(ids.pop())


def create_announcement(hub: Hub, admin: requests.Session, title: str, image_id: int) -> None:
    """Through the snippet create view; the body is Draftail's contentstate JSON."""
    add_url = hub.url("/admin/snippets/site/announcement/add/")
    form = admin.get(add_url, timeout=10).text
    # The publish time the form offers (now, in the hub's time zone), as a browser would send it.
    publish_at = re.search(r'name="publish_at" value="([^"]+)"', form).group(1)
    body = {
        "blocks": [
            {
                "key": "kopi1",
                "type": "unstyled",
                "depth": 0,
                "text": "Bibit kopi robusta dibagikan di balai desa hari Sabtu.",
                "inlineStyleRanges": [],
                "entityRanges": [],
            }
        ],
        "entityMap": {},
    }
    response = admin.post(
        add_url,
        data={
            "csrfmiddlewaretoken": csrf_token(form),
            "title": title,
            "category": "pertanian",
            "body": json.dumps(body),
            "image": str(image_id),
            "publish_at": publish_at,
            "expires_at": "",
        },
        allow_redirects=False,
        timeout=10,
    )
    assert response.status_code == 302, response.text[:2000]


def announcement_url(hub: Hub, title: str) -> str:
    index = direct_session().get(hub.url("/pengumuman/"), timeout=10).text
    match = re.search(rf'<a href="(/pengumuman/{NOTICE_LINK}/)">{re.escape(title)}</a>', index)
    assert match, f"{title!r} is not listed on /pengumuman/"
    return hub.url(match.group(1))


def _sqlite_write_lock_free(database) -> bool:
    connection = sqlite3.connect(database, timeout=0.2, isolation_level=None)
    try:
        connection.execute("BEGIN IMMEDIATE")
        connection.execute("ROLLBACK")
        return True
    except sqlite3.OperationalError:
        return False
    finally:
        connection.close()


@contextmanager
def cluster_paused(hub: Hub):
    """Freeze the django-q2 cluster (SIGSTOP) so that nothing but the web processes can make a
    rendition meanwhile. It is frozen at a moment it holds no SQLite write lock, or the web
    requests would wait on the busy timeout."""
    pids = [pid for pid, cmd in hub.processes() if "qcluster" in cmd]
    assert pids, f"no django-q2 cluster among the hub's processes: {hub.processes()}"

    def signal_all(signum):
        for pid in pids:
            os.kill(pid, signum)

    for _attempt in range(50):
        signal_all(signal.SIGSTOP)
        if _sqlite_write_lock_free(hub.data_dir / "db.sqlite3"):
            break
        signal_all(signal.SIGCONT)
        time.sleep(0.05)  # let the cluster finish its write before trying again
    else:
        pytest.fail("the cluster never released the SQLite write lock")
    try:
        yield
    finally:
        signal_all(signal.SIGCONT)


@pytest.fixture(scope="module")
def first_start(tmp_path_factory):
    """scripts/run on an empty data dir (a first start: migrate, demo, static files, a new
    key), shared by this module's tests: the last one stops and restarts it."""
    starter = HubStarter(
        tmp_path_factory.mktemp("first-start"),
        # migrate, the demo and collectstatic: past 120 s when the 2 cores are shared with other
        # suites; a start that hangs still fails, later
        timeout=300,
    )
    yield starter
    starter.stop_all()


def test_uploaded_image_gets_webp_renditions_from_the_cluster(first_start):
    # given scripts/run on a fresh data dir, and the official logged in to the admin
    hub = first_start.hubs[0] if first_start.hubs else first_start()
    password = hub.admin_password()
    assert password, f"no admin password in the output of a first start:\n{hub.output()}"
    admin = admin_login(hub, password)
    villager = direct_session()
    title, alt = "Bibit kopi untuk kelompok tani", "Kebun kopi di lereng bukit"

    with cluster_paused(hub):
        # when the image is uploaded and an announcement made with it, the cluster frozen
        image_id = upload_image(hub, admin, "Kebun kopi (uji e2e)", alt)
        create_announcement(hub, admin, title, image_id)
        url = announcement_url(hub, title)
        # (several visits, so that every gunicorn worker has the page in its cache)
        visits = [villager.get(url, timeout=10) for _ in range(VISITS)]

        # then the page shows a placeholder: page requests never make renditions
        for response in visits:
            assert response.status_code == 200
            placeholder = image_with_alt(response.text, alt)
            assert "ph" in placeholder["class"].split()
            assert placeholder["src"].startswith("data:image/svg+xml,")
            assert "srcset" not in placeholder
        # and the villager's page is now in the page cache
        assert "hit" in {response.headers.get("X-Balai-Cache") for response in visits}

    # when the cluster runs again
    deadline = time.monotonic() + RENDITION_TIMEOUT
    while True:
        page = villager.get(url, timeout=10)
        picture = image_with_alt(page.text, alt)
        if "srcset" in picture or time.monotonic() > deadline:
            break
        time.sleep(0.5)

    # then the anonymous page shows the phone-width WebP renditions
    assert "srcset" in picture, (
        f"no renditions on {url} within {RENDITION_TIMEOUT} s "
        f"(X-Balai-Cache: {page.headers.get('X-Balai-Cache')}): {picture}\n{hub.output()[-3000:]}"
    )
    assert "ph" not in picture["class"].split()
    # and no worker keeps serving its cached copy with the placeholder
    for _ in range(VISITS):
        response = villager.get(url, timeout=10)
        assert "srcset" in image_with_alt(response.text, alt), (
            f"a stale cached page (X-Balai-Cache: {response.headers.get('X-Balai-Cache')}) "
            "still shows the placeholder after the renditions were made"
        )
    entries = srcset_entries(picture)
    assert [width for _url, width in entries] == [360, 720, 1080]
    assert picture["src"] == entries[0][0]
    for rendition_url, width in entries:
        assert rendition_url.startswith("/media/images/") and rendition_url.endswith(".webp")
        response = villager.get(hub.url(rendition_url), timeout=10)
        assert response.status_code == 200
        assert response.headers["Content-Type"] == "image/webp"
        with Image.open(io.BytesIO(response.content)) as rendition:
            assert rendition.format == "WEBP"
            assert rendition.size == (width, round(width * 800 / 1200))


def test_sigterm_stops_everything_and_a_restart_keeps_key_and_data(first_start):
    # given a hub that ran once on a fresh data dir, with an admin session open
    hub = first_start.hubs[0] if first_start.hubs else first_start()
    assert hub.running, "this test stops the module's hub: it runs last in this module"
    key_file = hub.data_dir / "secret_key"
    key = key_file.read_text()
    password = hub.admin_password()
    assert password, f"no admin password in the output of a first start:\n{hub.output()}"
    assert "made a new secret key" in hub.output()
    admin = admin_login(hub, password)
    commands = " ".join(cmd for _pid, cmd in hub.processes())
    assert "gunicorn" in commands and "qcluster" in commands

    # when scripts/run alone gets SIGTERM (its trap must stop gunicorn and the cluster)
    status = hub.stop()

    # then it exits cleanly and in time, and no process of the hub is left
    assert status == 0, hub.output()[-3000:]
    assert hub.stop_seconds is not None and hub.stop_seconds < STOP_TIMEOUT
    assert hub_processes(hub.data_dir) == []

    # when it is started again on the same data dir and port
    again = first_start(data_dir=hub.data_dir, port=hub.port)

    # then it reuses the key file, does not reload the demo nor print a new password
    output = again.output()
    assert key_file.read_text() == key
    assert "made a new secret key" not in output
    assert "loading the demo village" not in output
    assert again.admin_password() is None
    # and the session signed before the restart is still valid (same key, same database)
    assert is_logged_in(again, admin)
    assert is_logged_in(again, admin_login(again, password))
