"""A phone trusts the village hub over HTTPS as it trusts a public CA: the whole chain real.

A village hub (scripts/run: gunicorn and the cluster on SQLite, HUB_HTTPS=auto behind nginx)
makes its key and CSR (``manage.py certificate_request``); the upstream's ordering code
(``hub.certs.issuing.certificate_order``, in this process) gets it signed by Debian's pebble
through DNS-01 answered by BIND 9 (tests/harness/acme.py; the CSR-through-sync path is
tests/e2e/test_certs.py); the hub installs it (``manage.py certificate_install``); the
hub_nginx role's templates, rendered and switched to HTTPS by the role's balai-tls-select, run
in Debian's nginx on free ports in front of that gunicorn.

Debian's Chromium trusts pebble's root only through an NSS database in its own HOME
(``certutil``, as a phone's store holds a public CA; no --ignore-certificate-errors) and reaches
the hub by its name (--host-resolver-rules maps it to 127.0.0.1, so the certificate's name is
checked). It loads the page without a certificate error, the service worker takes control,
and offline the page it saw is read again from the service worker.
"""

import grp
import http.client
import os
import pwd
import shutil
import socket
import subprocess
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from django.db import transaction
from django.test import override_settings
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import expect

from hub.certs import tls
from hub.certs.issuing import acme_client, certificate_order
from hub.certs.models import CertificateRequest
from tests.certs.test_issuing import acme_settings
from tests.harness import acme as servers
from tests.harness.chromium import PHONE, chromium
from tests.harness.hubs import ROOT, HubStarter, run_environment
from tests.harness.processes import free_port, stop_process, wait_until
from tests.provisioning.test_https_nginx import NGINX, Site

# django_db: the test database, where the upstream's ordering writes (and rolls back)
pytestmark = [pytest.mark.e2e, pytest.mark.django_db]

CODE = "1503012021"
NAME = f"balai.sukamaju.{servers.HUBS_ZONE}"
CERTUTIL = shutil.which("certutil") or "/usr/bin/certutil"
HUB_ENV = {
    "HUB_TLS_NAME": NAME,
    "HUB_HTTPS": "auto",
    "HUB_BEHIND_PROXY": "1",
    "HUB_ALLOWED_HOSTS": f"127.0.0.1,localhost,balai.lan,{NAME}",
}


# the page's own registration (static/site/sw-register.js) done; never waiting forever
READY = """Promise.race([
  navigator.serviceWorker.ready.then(() => "ready", String),
  new Promise((resolve) => setTimeout(() => resolve("not ready after 15 s"), 15000)),
])"""


def hub_manage(data_dir: Path, *args: str) -> str:
    """``scripts/manage`` on the hub's data dir with the hub's own environment."""
    result = subprocess.run(
        [str(ROOT / "scripts" / "manage"), *args],
        cwd=ROOT,
        env=run_environment(data_dir, 0, HUB_ENV),
        capture_output=True,
        text=True,
        timeout=300,
    )
    if result.returncode != 0:
        pytest.fail(f"scripts/manage {' '.join(args)} failed:\n{result.stderr[-3000:]}")
    return result.stdout


def nss_home(base: Path, root_pem: str) -> Path:
    """A HOME whose NSS database trusts ``root_pem`` for websites, as Chromium on Linux reads
    it (``$HOME/.pki/nssdb``)."""
    if not os.access(CERTUTIL, os.X_OK):
        pytest.fail(
            "certutil is missing: apt-get install libnss3-tools (scripts/test installs it)",
            pytrace=False,
        )
    nssdb = base / ".pki" / "nssdb"
    nssdb.mkdir(parents=True)
    (base / "root.pem").write_text(root_pem)
    for command in (
        ["-N", "--empty-password"],
        ["-A", "-t", "C,,", "-n", "pebble", "-i", str(base / "root.pem")],
    ):
        subprocess.run(
            [CERTUTIL, "-d", f"sql:{nssdb}", *command], check=True, capture_output=True, timeout=60
        )
    return base


@pytest.fixture(scope="module")
def served(tmp_path_factory, django_db_setup, django_db_blocker):
    """The hub behind nginx with its pebble certificate; yields what the test needs and the
    time from the first process started to nginx listening."""
    if not Path(NGINX).exists():
        pytest.fail("nginx is not installed: scripts/test installs Debian's nginx", pytrace=False)
    base = tmp_path_factory.mktemp("https")
    started = time.monotonic()
    starter = HubStarter(base / "hub", template="demo")
    bind = pebble = nginx = None
    try:
        # pebble and BIND come up while the hub starts
        with ThreadPoolExecutor(1) as pool:
            acme = pool.submit(servers.servers_start, base / "acme", {NAME: CODE})
            try:
                hub = starter(extra_env=HUB_ENV)
            finally:
                bind, pebble = acme.result()
        # the village's code if the demo has none, then ``manage.py certificate_request``: one
        # Django start for both
        csr_pem = hub_manage(
            hub.data_dir,
            "shell",
            "-c",
            "from django.core.management import call_command\n"
            "from hub.site.identity import village_code\n"
            "from hub.site.services import village_identity_set\n"
            f"village_code() or village_identity_set(code='{CODE}')\n"
            "call_command('certificate_request')",
        ).split("\n", 1)[1]

        # the upstream's ordering, in this process, rolled back afterwards
        request = CertificateRequest(
            origin=CODE, name=NAME, csr_pem=csr_pem, csr_sha256=tls.csr_sha256(csr_pem)
        )
        with (
            django_db_blocker.unblock(),
            override_settings(HUB_ROLE="upstream", **acme_settings(bind, pebble, base)),
            transaction.atomic(),
        ):
            acme, account_key = acme_client()
            fullchain = certificate_order(request=request, acme=acme, account_key=account_key)
            fullchain = fullchain.fullchain_pem
            transaction.set_rollback(True)
        (base / "fullchain.pem").write_text(fullchain)
        installed = hub_manage(hub.data_dir, "certificate_install", str(base / "fullchain.pem"))
        assert installed.startswith("installed serial"), installed

        # the role's nginx, its data dir the hub's (static files, media, tls/live)
        http_port, https_port = free_port(), free_port()
        (base / "nginx").mkdir()
        (base / "nginx" / "data").symlink_to(hub.data_dir)
        site = Site(
            base / "nginx",
            hub_nginx_tls_name=NAME,
            hub_nginx_upstream=f"127.0.0.1:{hub.port}",
            hub_nginx_listen_port=http_port,
            hub_nginx_tls_port=https_port,
        )
        # as Debian's /etc/nginx/nginx.conf: the types of static files (a script served as
        # text/plain is refused, and the page's service worker would never register); workers
        # as this user, since pytest's temporary directories are closed to others
        user = f"user {pwd.getpwuid(os.getuid()).pw_name} {grp.getgrgid(os.getgid()).gr_name};\n"
        main = site.main_conf.read_text().replace(
            "http {\n", "http {\n    include /etc/nginx/mime.types;\n", 1
        )
        site.main_conf.write_text(user + main)
        selected = site.select()
        assert selected.stdout.strip() == "switched to https", selected.stderr
        nginx = subprocess.Popen(
            [
                *(NGINX, "-p", str(site.root), "-c", str(site.main_conf)),
                *("-e", f"{site.root}/log/error.log", "-g", "daemon off;"),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            start_new_session=True,
        )
        listening = wait_until(lambda: nginx.poll() is not None or _open(https_port), 15, 0.1)
        assert listening and nginx.poll() is None, nginx.stderr.read().decode()[-2000:]
        yield {
            "https_port": https_port,
            "http_port": http_port,
            "root_pem": pebble.root_pem(),
            "started": started,
            "base": base,
        }
    finally:
        if nginx is not None:
            stop_process(nginx, timeout=10)
        starter.stop_all()
        if bind is not None:
            servers.servers_stop(bind, pebble)


def _open(port: int) -> bool:
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) == 0


def test_a_phone_trusts_the_hub_by_name_and_rereads_a_page_offline(served):
    home = nss_home(served["base"] / "phone-home", served["root_pem"])
    url = f"https://{NAME}:{served['https_port']}/"
    with chromium(
        f"--host-resolver-rules=MAP {NAME} 127.0.0.1",
        env={**os.environ, "HOME": str(home)},
    ) as browser:
        context = browser.new_context(viewport=PHONE)
        context.set_default_timeout(15_000)
        page = context.new_page()
        try:
            # when the phone opens the hub by its name
            response = page.goto(url)
            served_after = time.monotonic() - served["started"]

            # then the certificate is trusted (a certificate error fails goto) and the page
            # is a secure context, from the hub through nginx
            assert response is not None and response.status == 200
            assert response.security_details()["protocol"].startswith("TLS")
            assert response.security_details()["subjectName"] == NAME
            assert page.evaluate("window.isSecureContext") is True
            heading = page.locator("h1").first.inner_text()
            assert heading

            # and the service worker takes control
            registered = page.evaluate(READY)
            assert registered == "ready", registered
            page.reload()
            assert page.evaluate("navigator.serviceWorker.controller !== null")

            # when the phone leaves the Wi-Fi and opens the page again
            context.set_offline(True)
            offline = page.goto(url)

            # then the service worker shows the page it saw
            assert offline is not None and offline.from_service_worker
            expect(page.locator("h1").first).to_have_text(heading)
            print(f"start to the page served over HTTPS: {served_after:.1f} s")

            # tried: the same server by its address, which the certificate does not name
            context.set_offline(False)
            with pytest.raises(PlaywrightError, match="ERR_CERT_COMMON_NAME_INVALID"):
                page.goto(f"https://127.0.0.1:{served['https_port']}/")
        finally:
            context.close()

    # tried: a phone whose store lacks pebble's root (an empty HOME): the same URL is refused,
    # so the trust above came from the NSS database and from nothing else
    stranger = served["base"] / "stranger-home"
    stranger.mkdir()
    with chromium(
        f"--host-resolver-rules=MAP {NAME} 127.0.0.1", env={**os.environ, "HOME": str(stranger)}
    ) as browser:
        page = browser.new_page()
        with pytest.raises(PlaywrightError, match="ERR_CERT_AUTHORITY_INVALID"):
            page.goto(url)


def test_balai_lan_redirects_to_the_https_name(served):
    # given a valid certificate, when a phone asks http://balai.lan for a page
    connection = http.client.HTTPConnection("127.0.0.1", served["http_port"], timeout=10)
    connection.request("GET", "/pasar/?kategori=sayur", headers={"Host": "balai.lan"})
    response = connection.getresponse()
    response.read()
    connection.close()
    # then nginx sends it to the same page under the hub's HTTPS name
    assert response.status == 301
    assert response.headers["Location"] == f"https://{NAME}/pasar/?kategori=sayur"
