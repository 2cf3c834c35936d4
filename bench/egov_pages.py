"""`scripts/bench egov-pages` (``python -m bench egov-pages``): the service-standard and
legal-document pages with 500 services and 2,000 documents, and the officials' letters
queue with 20,000 requests, measured against their targets.

A fresh data directory in /tmp, ``scripts/run`` started there as a technician would (demo
village, demo services and documents, gunicorn with its workers, the django-q2 cluster), then:

1. seed: 500 services (as the kabupaten upstream's, the way they arrive by sync) and 2,000
   documents (every tenth with a small PDF), each saved through the model (its journal row),
   20,000 letter requests (``bulk_create``: encrypted, blind-indexed, over the ten letter
   types, the four statuses and two years) and a "Pelayanan" official, in the hub's own
   environment (``python -m bench.egov_pages --step seed``);
2. weight of the service list, a service page, its print view, the document list and a document
   page: the HTML as served (gzip) plus the CSS and JS it links, as served (gzip): target 14 KB;
3. uncached list and search pages over HTTP against gunicorn, each request with a query string
   never used before so the anonymous page cache misses (checked on ``X-Balai-Cache``): target
   median 30 ms; then, logged in once as the official (a ``requests`` session through the
   admin login form), the letters review queue in the admin, plain, filtered by status and at
   a deep page, timed the same way (target median 30 ms).

Prints a table with PASS/FAIL per target; exits 1 when a target fails, 2 when the benchmark
itself could not run. Figures: docs/benchmarks.md ("e-government pages").
"""

import argparse
import gzip
import json
import re
import secrets
import subprocess
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

from tests.harness.processes import free_port

from .common import (
    KB,
    ROOT,
    BenchError,
    Check,
    code_version,
    finish,
    http_get,
    hub_bench_main,
    kb,
    machine,
    say,
    table,
)
from .hub import Hub, clean_env
from .market import text_weight, uncached_times

SERVICES = 500
DOCUMENTS = 2000
TARGET_TEXT_BYTES = 14 * KB
TARGET_LIST_MS = 30.0
SERVICE_LINK = re.compile(r'href="(/layanan/[0-9a-f-]{36}/)"')
DOCUMENT_LINK = re.compile(r'href="(/produk-hukum/[0-9a-f-]{36}/)"')
REQUESTS = 20000
OFFICIAL = "bench-pelayanan"
LOGIN = "/admin/login/"
CSRF_TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
REVIEW = "/admin/surat/permohonan/"
# the officials' queue (egov/letters/admin/): 50 a page, newest first; the status filter is
# its only narrowing (it has no search box); a deep page shows what the OFFSET costs
TIMED_ADMIN = {
    "review queue (admin)": REVIEW,
    "review queue, status filter (admin)": f"{REVIEW}?status=diajukan",
    "review queue, page 200 (admin)": f"{REVIEW}?p=200",
}
TIMED = {
    "service list": "/layanan/",
    "service category": "/layanan/?kategori=kesehatan",
    "service search": "/layanan/?q=kartu+keluarga",
    "document list": "/produk-hukum/",
    "document kind + year": "/produk-hukum/?jenis=perdes&tahun=2024",
    "document search": "/produk-hukum/?q=desa+2023",
}


# --------------------------------------------------------------------------------------------
# the Django side, run in the hub's environment


def seed(services: int, documents: int, requests: int = 0) -> dict:
    """Services owned by the kabupaten (as synced) and the village's documents, saved through
    the model 200 a transaction; then the letter requests (:func:`seed_requests`) and the
    "Pelayanan" official who reviews them."""
    import datetime as dt

    from django.db import transaction

    from egov.documents.models import Kind, LegalDocument
    from egov.documents.samples import pdf_bytes
    from egov.documents.services import pdf_attach
    from egov.services.models import Category, Office, ServiceStandard
    from hub.site.models import VillageSettings
    from hub.sync.registry import received_from_origin

    started = time.perf_counter()
    kabupaten = VillageSettings.load().village_code[:4]
    categories = list(Category.values)
    kinds = [Kind.PERDES, Kind.PERKADES, Kind.SK_KADES, Kind.APBDES, Kind.PERBUP]
    with received_from_origin():
        office = Office.objects.create(
            name="Disdukcapil (bench)", kind=Office.Kind.DUKCAPIL, origin=kabupaten, rev=1
        )
    for start in range(0, services, 200):
        with transaction.atomic(), received_from_origin():
            for i in range(start, min(start + 200, services)):
                ServiceStandard.objects.create(
                    origin=kabupaten,
                    rev=1,
                    title=f"Layanan bench {i:04d}",
                    category=categories[i % len(categories)],
                    summary="Layanan untuk pengukuran halaman.",
                    requirements="\n".join(
                        ["KTP-el", "Kartu Keluarga", f"Syarat khusus {i}", "Pas foto 3x4"]
                    ),
                    procedure="Datang ke loket\nSerahkan berkas\nTerima hasil",
                    duration="1 hari kerja",
                    product="Dokumen",
                    complaints="SP4N-LAPOR!",
                    office=office,
                )
    for start in range(0, documents, 200):
        with transaction.atomic():
            for i in range(start, min(start + 200, documents)):
                year = 2015 + i % 11
                document = LegalDocument(
                    kind=kinds[i % len(kinds)],
                    number=str(i),
                    year=year,
                    title=f"Dokumen bench {i:04d} tentang pembangunan desa",
                    abstract=f"Abstrak dokumen {i} tahun {year}.",
                    enacted_on=dt.date(year, 1 + i % 12, 1 + i % 28),
                    publisher="Pemerintah Desa (bench)",
                )
                if i % 10 == 0:
                    pdf_attach(document=document, data=pdf_bytes([f"Dokumen bench {i}"]))
                document.save()
    seed_requests(requests)
    official_create()
    from egov.letters.models import LetterRequest

    return {
        "services": ServiceStandard.objects.count(),
        "documents": LegalDocument.objects.count(),
        "requests": LetterRequest.objects.count(),
        "seconds": time.perf_counter() - started,
    }


def seed_requests(count: int, batch: int = 1000) -> None:
    """``count`` letter requests over every seeded letter type, the four statuses and the last
    two years, with valid (fake) NIK and KK numbers; ``bulk_create`` in transactions of
    ``batch``, so each row is encrypted and its blind indexes computed as on a real save, but
    without the submit service's photos, rate limit and notifications (not what is measured)."""
    import datetime as dt
    import json as json_module

    from django.db import transaction
    from django.utils import timezone

    from egov.letters.models import LetterRequest, LetterType, RequestStatus
    from hub.core.personal import kk_validate, nik_validate
    from hub.site.models import VillageSettings

    region = (VillageSettings.load().village_code or "1509012001")[:6]
    types = list(LetterType.objects.order_by("sort_order", "code"))
    if count and not types:
        raise RuntimeError("no letter types: the data migration did not run")
    statuses = list(RequestStatus.values)

    def valid(validate, prefix: str, serial: int) -> str:
        number = f"{prefix}{serial:04d}"
        validate(number)
        return number

    now = timezone.now()
    step = dt.timedelta(days=730) / max(count, 1)
    # submitted_at is auto_now_add: this process only seeds, so let the seed set it (two years)
    submitted_at = LetterRequest._meta.get_field("submitted_at")
    submitted_at.auto_now_add = False
    try:
        for start in range(0, count, batch):
            rows = []
            for i in range(start, min(start + batch, count)):
                # a woman born on day 1..28 of a month in 1960..1999 (day + 40), serial 1..9999
                nik = valid(
                    nik_validate,
                    f"{region}{41 + i % 28:02d}{1 + i % 12:02d}{60 + i % 40:02d}",
                    1 + i % 9999,
                )
                kk = valid(
                    kk_validate,
                    f"{region}{1 + i % 28:02d}{1 + i % 12:02d}{10 + i % 15:02d}",
                    1 + i // 28 % 9999,
                )
                status = statuses[i % len(statuses)]
                when = now - step * i
                done = status in (RequestStatus.APPROVED, RequestStatus.REJECTED)
                rows.append(
                    LetterRequest(
                        code=f"BENCH{i:07d}",
                        letter_type=types[i % len(types)],
                        status=status,
                        name=f"Warga Bench {i:05d}",
                        nik=nik,
                        kk=kk,
                        phone=f"0812{i:08d}",
                        address=f"RT {1 + i % 9:03d} RW {1 + i % 4:03d}",
                        purpose="keperluan pengukuran",
                        data=json_module.dumps({"pekerjaan": "Petani", "rt_rw": "002/001"}),
                        submitted_at=when,
                        completed_at=when + dt.timedelta(days=1) if done else None,
                        number=f"470/{i:05d}/BENCH" if status == RequestStatus.APPROVED else "",
                        letter_date=(when + dt.timedelta(days=1)).date()
                        if status == RequestStatus.APPROVED
                        else None,
                    )
                )
            with transaction.atomic():
                LetterRequest.objects.bulk_create(rows)
    finally:
        submitted_at.auto_now_add = True


def official_create() -> str:
    """The "Pelayanan" official the bench logs in as; the password comes from the environment
    (``BENCH_OFFICIAL_PASSWORD``), never the command line."""
    import os

    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group

    from egov.letters.seeds import SERVICE_GROUP

    user = get_user_model().objects.create_user(
        OFFICIAL, password=os.environ["BENCH_OFFICIAL_PASSWORD"], first_name="Bench"
    )
    user.groups.add(Group.objects.get(name=SERVICE_GROUP))
    return user.username


def step_main(argv: list[str]) -> int:
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    kwargs = json.loads(argv[0]) if argv else {}
    print(json.dumps(seed(**kwargs), default=str))
    return 0


def run_seed(data_dir: Path, password: str, **kwargs) -> dict:
    """:func:`seed` in the environment of the hub of ``data_dir`` (as bench.hub.run_step);
    ``password`` for the official, through the environment."""
    env = clean_env(
        data_dir,
        HUB_SECRET_KEY_FILE=str(data_dir / "secret_key"),
        DJANGO_SETTINGS_MODULE="hub.settings.main",
        HUB_DEBUG="0",
        PYTHONPATH=str(ROOT),
        BENCH_OFFICIAL_PASSWORD=password,
    )
    result = subprocess.run(
        [sys.executable, "-m", "bench.egov_pages", "--step", json.dumps(kwargs)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=1800,
    )
    if result.returncode != 0:
        raise BenchError(f"seeding failed:\n{result.stderr[-3000:]}")
    return json.loads(result.stdout.strip().splitlines()[-1])


# --------------------------------------------------------------------------------------------
# the measurements, over HTTP


def official_session(hub: Hub, password: str):
    """A ``requests.Session`` logged in to the admin as the bench's Pelayanan official, the
    way a browser does it (the login form, its CSRF token, the session cookie)."""
    import requests

    session = requests.Session()
    form = session.get(hub.base + LOGIN, timeout=60)
    token = CSRF_TOKEN.search(form.text)
    if form.status_code != 200 or token is None:
        raise BenchError(f"the login form answered {form.status_code} without a CSRF token")
    answer = session.post(
        hub.base + LOGIN,
        data={"csrfmiddlewaretoken": token.group(1), "username": OFFICIAL, "password": password},
        headers={"Referer": hub.base + LOGIN},
        allow_redirects=False,
        timeout=120,
    )
    if answer.status_code != 302 or LOGIN in answer.headers.get("Location", LOGIN):
        raise BenchError(f"the official's login answered {answer.status_code}, not a redirect")
    return session


def page_html(hub: Hub, path: str) -> str:
    status, _, body = http_get(hub.base + path, {"Accept-Encoding": "gzip"})
    if status != 200:
        raise BenchError(f"{path} answered {status}")
    return gzip.decompress(body).decode()


def first_link(hub: Hub, path: str, pattern) -> str:
    found = pattern.search(page_html(hub, path))
    if found is None:
        raise BenchError(f"no detail page linked from {path}")
    return found.group(1)


def build_checks(results: dict) -> list[Check]:
    checks = []
    for name, weight in results["weight"].items():
        checks.append(
            Check(
                f"{name}: gzip HTML + CSS + JS",
                f"{kb(weight['text'])} (html {kb(weight['html'])}, css {kb(weight['css'])}, "
                f"js {kb(weight['js'])})",
                f"<= {kb(TARGET_TEXT_BYTES)}",
                weight["text"] <= TARGET_TEXT_BYTES,
            )
        )
    seed_figures = results["seed"]
    for name, timing in results["uncached"].items():
        checks.append(
            Check(
                f"uncached {name} ({seed_figures['services']} services, "
                f"{seed_figures['documents']} documents, {seed_figures['requests']} requests)",
                f"median {timing['median_ms']:.1f} ms, p95 {timing['p95_ms']:.1f} ms; server "
                f"CPU {timing['server_cpu_ms']:.1f} ms/request",
                f"<= {TARGET_LIST_MS:.0f} ms",
                timing["median_ms"] <= TARGET_LIST_MS,
            )
        )
    home = results["yardstick"]
    checks.append(
        Check(
            "uncached home page (yardstick, no target here)",
            f"median {home['median_ms']:.1f} ms; server CPU {home['server_cpu_ms']:.1f} ms/request",
            "",
            None,
        )
    )
    return checks


def report(results: dict, checks: list[Check]) -> str:
    m = results["machine"]
    rows = [
        [c.name, c.figure, c.target, {True: "PASS", False: "FAIL", None: "info"}[c.ok]]
        for c in checks
    ]
    return "\n".join(
        [
            "",
            f"Balai e-government pages benchmark, {results['date']}",
            f"code: {results['code']}",
            f"machine: {m['nproc']} CPUs {m['arch']} {m['cpu_model']}, {m['memory']}, "
            f"Linux {m['kernel']}, Python {m['python']}",
            f"hub: scripts/run, gunicorn 2 workers, SQLite; seed {results['seed']['seconds']:.1f}"
            f" s; data in {results['data_dir']}",
            f"load average at the end (1, 5, 15 min): {' '.join(results['loadavg'])}",
            "",
            table(["check", "figure", "target", "result"], rows),
            "",
        ]
    )


def run(args) -> int:
    data_dir = Path(tempfile.mkdtemp(prefix="balai-bench-egov-"))
    port = args.port or free_port()
    log_path = data_dir / "run.log"
    hub = Hub(data_dir, port, log_path)
    results: dict = {
        "date": datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %z"),
        "command": "scripts/bench egov-pages " + " ".join(args.argv),
        "machine": machine(),
        "code": code_version(),
        "data_dir": str(data_dir),
    }
    try:
        say(f"starting scripts/run on 127.0.0.1:{port}, data in {data_dir}")
        hub.start()
        hub.wait_ready()
        hub.wait_queue_empty()
        say(
            f"seeding {args.services} services, {args.documents} documents and "
            f"{args.requests} letter requests"
        )
        password = secrets.token_urlsafe(12)
        results["seed"] = run_seed(
            data_dir,
            password,
            services=args.services,
            documents=args.documents,
            requests=args.requests,
        )
        say(f"seeded in {results['seed']['seconds']:.1f} s; waiting for the previews")
        hub.wait_queue_empty()
        service = first_link(hub, "/layanan/", SERVICE_LINK)
        document = first_link(hub, "/produk-hukum/", DOCUMENT_LINK)
        pages = {
            "service list": "/layanan/",
            "service page": service,
            "what to bring (print)": f"{service}cetak/",
            "document list": "/produk-hukum/",
            "document page": document,
        }
        results["weight"] = {name: text_weight(hub, path) for name, path in pages.items()}
        results["uncached"] = {}
        for name, path in TIMED.items():
            say(f"uncached {name}: {args.iterations} requests")
            results["uncached"][name] = uncached_times(hub, path, args.iterations)
        session = official_session(hub, password)
        for name, path in TIMED_ADMIN.items():
            say(f"uncached {name}, logged in as {OFFICIAL}: {args.iterations} requests")
            results["uncached"][name] = uncached_times(hub, path, args.iterations, session=session)
        # the home page beside them: its figure on a quiet machine is in docs/benchmarks.md,
        # so the ratio says how busy this machine was
        results["yardstick"] = uncached_times(hub, "/", args.iterations)
        results["loadavg"] = Path("/proc/loadavg").read_text().split()[:3]
        log = hub.log_text()
        results["tracebacks"] = log.count("Traceback")
    except BenchError as exc:
        say(f"error: {exc}")
        say(f"kept {data_dir} (log: {log_path})")
        return 2
    finally:
        if hub.process is not None:
            say("stopping the hub")
            hub.stop()

    checks = build_checks(results)
    if results["tracebacks"]:
        checks.append(Check("hub log", f"{results['tracebacks']} tracebacks", "none", False))
    return finish(results, checks, report(results, checks), args, data_dir, log_path)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(
        prog="scripts/bench egov-pages", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--services", type=int, default=SERVICES, help="services (500)")
    parser.add_argument("--documents", type=int, default=DOCUMENTS, help="documents (2000)")
    parser.add_argument("--requests", type=int, default=REQUESTS, help="letter requests (20000)")
    parser.add_argument("--iterations", type=int, default=100, help="requests per page (100)")
    return hub_bench_main(parser, run, argv)


if __name__ == "__main__":
    if sys.argv[1:2] == ["--step"]:
        sys.exit(step_main(sys.argv[2:]))
    sys.exit(main(sys.argv[1:]))
