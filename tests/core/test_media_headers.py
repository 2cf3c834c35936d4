"""/media/ is served as media only: a listed type or bytes to download, nosniff, sandboxed; by
Django's own media view (no nginx in front) and by the nginx role's template alike."""

import re

import jinja2
import pytest

from hub.core.middleware import MEDIA_CSP, MEDIA_TYPES

from .conftest_paths import NGINX_TEMPLATE

GIF = b"GIF89a\x01\x00\x01\x00\x00\x00\x00;<script>alert(1)</script>"


@pytest.fixture
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


@pytest.mark.parametrize(
    ("name", "data", "served_as"),
    [
        ("x.html", b"<script>alert(document.cookie)</script>", "application/octet-stream"),
        ("x.svg", b"<svg xmlns='http://www.w3.org/2000/svg' onload='alert(1)'/>", None),
        ("x.js", b"alert(1)", None),
        ("foto.gif", GIF, "image/gif"),
        ("perdes.pdf", b"%PDF-1.4\n%%EOF\n", "application/pdf"),
    ],
)
def test_the_media_view_serves_listed_types_only_nosniff_and_sandboxed(
    client, media_root, name, data, served_as
):
    # given a file in media
    (media_root / "images").mkdir()
    (media_root / "images" / name).write_bytes(data)
    # when it is fetched through the hub's own media view
    response = client.get(f"/media/images/{name}")
    # then its type is a listed media type or bytes to download, never sniffed, sandboxed
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == data
    kind = response["Content-Type"].split(";")[0]
    assert kind == (served_as or "application/octet-stream")
    if kind == "application/octet-stream":
        assert response["Content-Disposition"] == "attachment"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Security-Policy"] == "default-src 'none'; sandbox"


@pytest.mark.django_db
def test_a_missing_media_file_is_sandboxed_too(client, media_root):
    # given no such file / when it is asked for
    response = client.get("/media/nothing.html")
    # then the 404 carries the same headers
    assert response.status_code == 404
    assert response["Content-Security-Policy"] == MEDIA_CSP
    assert response["X-Content-Type-Options"] == "nosniff"


def test_pages_outside_media_keep_their_own_policy(client):
    # given / when a villager page is fetched
    response = client.get("/healthz")
    # then the media policy is not put on it
    assert response.get("Content-Security-Policy") != MEDIA_CSP


def render_nginx() -> str:
    template = jinja2.Template(NGINX_TEMPLATE.read_text(encoding="utf-8"))
    return template.render(
        ansible_managed="test",
        hub_nginx_upstream="127.0.0.1:8000",
        hub_nginx_listen_port=80,
        hub_nginx_server_names=["_"],
        hub_nginx_client_max_body_size="12m",
        hub_nginx_client_timeout=60,
        hub_nginx_data_dir="/var/lib/balai",
        hub_nginx_static_max_age=31536000,
        hub_nginx_media_max_age=2592000,
    )


def media_block(conf: str) -> str:
    start = conf.index("location /media/ {")
    depth = 0
    for end in range(start, len(conf)):
        depth += {"{": 1, "}": -1}.get(conf[end], 0)
        if conf[end] == "}" and depth == 0:
            return conf[start : end + 1]
    raise AssertionError("the /media/ location is not closed")


def test_the_nginx_template_serves_media_as_django_does():
    # given the nginx role's site, rendered
    block = media_block(render_nginx())
    # then /media/ knows only the listed types, defaults to bytes, never sniffs, is sandboxed
    types = re.search(r"types \{(.*?)\}", block, re.S).group(1)
    listed = {line.split()[0] for line in types.strip().splitlines()}
    assert listed == set(MEDIA_TYPES)
    assert "text/html" not in types and "svg" not in types and "javascript" not in types
    assert "default_type application/octet-stream;" in block
    assert "add_header X-Content-Type-Options nosniff always;" in block
    assert f'add_header Content-Security-Policy "{MEDIA_CSP}" always;' in block
