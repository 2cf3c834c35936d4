"""`scripts/bench egov-letters` (``python -m bench egov-letters``): the letter request form's
weight and the letter PDF's render time, size and memory, against their targets.

In-process, on a fresh village database in /tmp (nothing is written into the repository):
migrations, the village code, the ten seeded letter types. Then:

1. the request form (SKTM, the longest of the ten) as a phone receives it: the HTML rendered by
   the view, gzip-compressed as the hub's middleware does, plus the CSS and JS it links
   (gzip): target 20 KB;
2. rendering a letter: ``letter_pdf_render`` of an approved SKTM, median and p95 over
   ``--renders`` runs after one warm-up (target 1 s per page on this machine), the PDF's
   size and page count;
3. a whole approval (number, PDF, SHA-256, verification record) through the service, median;
4. memory: the peak RSS (VmHWM) of a fresh Python process that imports the PDF library and
   renders one letter, for fpdf2 (the hub's) and, when ``--weasyprint PYTHON`` names an
   interpreter that has WeasyPrint, for the same letter as HTML through WeasyPrint (the
   alternative the issue names).

Prints a table with PASS/FAIL per target; exits 1 when a target fails, 2 when the bench could
not run. Figures: docs/benchmarks.md.
"""

import argparse
import base64
import gzip
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from .common import KB, BenchError, Check, code_version, machine, percentile, say, table

ROOT = Path(__file__).resolve().parent.parent
TARGET_FORM_BYTES = 20 * KB
TARGET_RENDER_SECONDS = 1.0

# the letter both libraries draw in the memory comparison: same text, same A4 page, QR code
LETTER_TEXT = (
    "Yang bertanda tangan di bawah ini, Kepala Desa Bukit Berantai, Kecamatan Bathin III, "
    "Kabupaten Bungo, menerangkan dengan sebenarnya bahwa: Nama: Siti Aminah, NIK: "
    "1503014506900001, alamat RT 002 RW 001, adalah benar warga kurang mampu. " * 4
)

FPDF_SCRIPT = """
import sys, time
def hwm():
    # VmHWM, not ru_maxrss: Linux carries ru_maxrss over exec from the parent process
    for line in open("/proc/self/status"):
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
sys.path.insert(0, {root!r})
from datetime import date
import importlib.util
spec = importlib.util.spec_from_file_location("pdf", {root!r} + "/egov/letters/pdf.py")
pdf = importlib.util.module_from_spec(spec); spec.loader.exec_module(pdf)
start = time.perf_counter()
data = pdf.letter_pdf_render(
    head=pdf.Letterhead("Kabupaten Bungo", "Bathin III", "Desa Bukit Berantai", "Jl. Desa 1"),
    content=pdf.LetterContent("Surat Keterangan Tidak Mampu", "400/001/SKTM/XII/2026",
        {text!r}, "Bukit Berantai", date(2026, 12, 2), "Budi", "Kepala Desa",
        "https://balai.example/verifikasi/abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG/"))
seconds = time.perf_counter() - start
print(hwm(), len(data), seconds)
"""

WEASYPRINT_SCRIPT = """
import base64, io, time
def hwm():
    # VmHWM, not ru_maxrss: Linux carries ru_maxrss over exec from the parent process
    for line in open("/proc/self/status"):
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
import segno
from weasyprint import HTML
qr = io.BytesIO()
segno.make("https://balai.example/verifikasi/abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG/",
           error="m").save(qr, kind="png", scale=4, border=1)
qr = base64.b64encode(qr.getvalue()).decode()
html = '''<html><head><style>@page {{ size: A4; margin: 15mm 20mm 20mm 25mm }}
@font-face {{ font-family: Balai; src: url(file://{font}) }}
body {{ font-family: Balai; font-size: 10.5pt }} h1, h2 {{ text-align: center }}
p {{ text-align: justify }}</style></head><body>
<h2>PEMERINTAH KABUPATEN BUNGO<br>KECAMATAN BATHIN III<br>DESA BUKIT BERANTAI</h2><hr>
<h1>SURAT KETERANGAN TIDAK MAMPU</h1><p style="text-align:center">Nomor: 400/001/SKTM/XII/2026</p>
<p>{text}</p><img src="data:image/png;base64,QRDATA" width="110">
<p style="text-align:right">Bukit Berantai, 2 Desember 2026<br>Kepala Desa<br><br><br>Budi</p>
</body></html>'''.replace("QRDATA", qr)
start = time.perf_counter()
data = HTML(string=html).write_pdf()
seconds = time.perf_counter() - start
print(hwm(), len(data), seconds)
"""


def _setup_django(data_dir: Path) -> None:
    os.environ["HUB_DATA_DIR"] = str(data_dir)
    os.environ.setdefault("HUB_SECRET_KEY", base64.b64encode(os.urandom(48)).decode())
    key_file = data_dir / "field_key"
    key_file.write_text(base64.urlsafe_b64encode(os.urandom(32)).decode() + "\n")
    os.environ["HUB_FIELD_KEY_FILE"] = str(key_file)
    os.environ["HUB_ROLE"] = "village"
    os.environ["DJANGO_SETTINGS_MODULE"] = "hub.settings.main"
    (data_dir / "static").mkdir(parents=True, exist_ok=True)
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command

    if settings.DEBUG:
        raise BenchError("DEBUG is on; the figures would be wrong")
    say("migrating a fresh village database")
    call_command("migrate", verbosity=0)
    call_command("collectstatic", interactive=False, verbosity=0)
    from hub.site.services import village_identity_set

    village_identity_set(code="15.03.01.2021")


def _jpeg() -> bytes:
    import io

    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (1200, 800), (180, 190, 200)).save(out, "JPEG")
    return out.getvalue()


def _submit(letter_type):
    from egov.letters.services import Applicant, letter_request_submit

    return letter_request_submit(
        letter_type=letter_type,
        applicant=Applicant(
            name="Siti Aminah",
            nik="1503014506900001",
            kk="1503010101150002",
            phone="0812 3456 7001",
            address="RT 002 RW 001, Dusun Hilir",
            purpose="pendaftaran sekolah anak",
        ),
        values={
            "pekerjaan": "Petani",
            "penghasilan": "900.000",
            "tanggungan": "3",
            "digunakan_untuk": "Pendidikan",
        },
        uploads={spec["name"]: _jpeg() for spec in letter_type.attachments},
    )


def bench_form() -> dict:
    from django.conf import settings
    from django.test import Client

    response = Client(HTTP_HOST="localhost").get("/surat/ajukan/tidak-mampu/")
    if response.status_code != 200:
        raise BenchError(f"the request form answered {response.status_code}")
    html = response.content
    assets = re.findall(rb'(?:href|src)="/static/([^"]+\.(?:css|js))"', html)
    parts = {"html": len(gzip.compress(html, 6))}
    for asset in assets:
        path = Path(settings.STATIC_ROOT) / asset.decode()
        if not path.is_file():
            raise BenchError(f"the form links {asset.decode()}, which is not a static file")
        parts[asset.decode()] = len(gzip.compress(path.read_bytes(), 6))
    return {"raw_html": len(html), "gzip": parts, "total": sum(parts.values())}


def bench_render(renders: int) -> dict:
    from django.contrib.auth import get_user_model

    from egov.letters import services
    from egov.letters.models import LetterType
    from egov.letters.pdf import LetterContent, Letterhead, letter_pdf_render

    letter_type = LetterType.objects.get(code="tidak-mampu")
    user = get_user_model().objects.create_user("bench-pelayanan")
    approved = services.letter_request_approve(request_id=_submit(letter_type).pk, user=user)
    village = services._village()
    head = Letterhead(
        kabupaten=village.kabupaten_name,
        kecamatan=village.kecamatan_name,
        village=str(village.display_name),
        address=village.address,
    )
    content = LetterContent(
        title=letter_type.name,
        number=approved.number,
        body=services.letter_body(approved, village),
        place=village.village_name,
        letter_date=approved.letter_date,
        signer_name="Budi Santoso",
        signer_position="Kepala Desa",
        verify_url=services.verify_url(approved.verification.token),
    )
    times = []
    data = b""
    for _ in range(renders + 1):
        start = time.perf_counter()
        data = letter_pdf_render(head=head, content=content)
        times.append(time.perf_counter() - start)
    times = times[1:]  # the first loads the fonts' code paths
    pages = data.count(b"/Type /Page\n") or len(re.findall(rb"/Type\s*/Page[^s]", data))
    approvals = []
    for _ in range(max(3, renders // 4)):
        request = _submit(letter_type)
        start = time.perf_counter()
        services.letter_request_approve(request_id=request.pk, user=user)
        approvals.append(time.perf_counter() - start)
    return {
        "renders": renders,
        "median_s": statistics.median(times),
        "p95_s": percentile(times, 95),
        "pdf_bytes": len(data),
        "pages": pages,
        "approval_median_s": statistics.median(approvals),
    }


def _peak(python: str, script: str) -> dict:
    done = subprocess.run([python, "-c", script], capture_output=True, text=True, timeout=300)
    if done.returncode != 0:
        raise BenchError(f"{python}: {done.stderr.strip()[-400:]}")
    rss_kb, size, seconds = done.stdout.split()
    return {"peak_rss_mb": int(rss_kb) / 1024, "pdf_bytes": int(size), "cold_s": float(seconds)}


def bench_memory(weasyprint_python: str) -> dict:
    font = ROOT / "egov/letters/static/egov_letters/fonts/BalaiSans.ttf"
    out = {"fpdf2": _peak(sys.executable, FPDF_SCRIPT.format(root=str(ROOT), text=LETTER_TEXT))}
    baseline = subprocess.run(
        [
            sys.executable,
            "-c",
            "import re; print(re.search(r'VmHWM:\\s+(\\d+)', "
            "open('/proc/self/status').read()).group(1))",
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    out["python_baseline_mb"] = int(baseline.stdout) / 1024
    if weasyprint_python:
        out["weasyprint"] = _peak(
            weasyprint_python, WEASYPRINT_SCRIPT.format(font=font, text=LETTER_TEXT)
        )
    return out


def run(args) -> int:
    data_dir = Path(tempfile.mkdtemp(prefix="balai-bench-letters-"))
    results: dict = {"machine": machine(), "code": code_version()}
    try:
        _setup_django(data_dir)
        say("request form weight")
        results["form"] = bench_form()
        say(f"rendering {args.renders} letters")
        results["render"] = bench_render(args.renders)
        say("memory of a fresh process rendering one letter")
        results["memory"] = bench_memory(args.weasyprint)
    except BenchError as exc:
        say(f"error: {exc}")
        return 2
    form, render, memory = results["form"], results["render"], results["memory"]
    checks = [
        Check(
            "request form (SKTM), gzip HTML + CSS + JS",
            f"{form['total'] / KB:.1f} KB",
            "≤ 20 KB",
            form["total"] <= TARGET_FORM_BYTES,
        ),
        Check(
            "letter PDF render, median per page",
            f"{render['median_s'] * 1000 / max(1, render['pages']):.0f} ms "
            f"(p95 {render['p95_s'] * 1000:.0f} ms, {render['pages']} page, "
            f"{render['pdf_bytes'] / KB:.1f} KB)",
            "≤ 1 s",
            render["median_s"] / max(1, render["pages"]) <= TARGET_RENDER_SECONDS,
        ),
        Check(
            "whole approval (number, PDF, hash, record)",
            f"{render['approval_median_s'] * 1000:.0f} ms median",
            "—",
            None,
        ),
        Check(
            "peak RSS, fresh process + one letter: fpdf2",
            f"{memory['fpdf2']['peak_rss_mb']:.0f} MB (python alone "
            f"{memory['python_baseline_mb']:.0f} MB; cold render "
            f"{memory['fpdf2']['cold_s'] * 1000:.0f} ms)",
            "—",
            None,
        ),
    ]
    if "weasyprint" in memory:
        wp = memory["weasyprint"]
        checks.append(
            Check(
                "peak RSS, fresh process + one letter: WeasyPrint",
                f"{wp['peak_rss_mb']:.0f} MB (cold render {wp['cold_s'] * 1000:.0f} ms, "
                f"{wp['pdf_bytes'] / KB:.1f} KB)",
                "—",
                None,
            )
        )
    rows = [
        [c.name, c.figure, c.target, "—" if c.ok is None else ("PASS" if c.ok else "FAIL")]
        for c in checks
    ]
    print(table(["check", "figure", "target", ""], rows))
    print(f"\nmachine: {json.dumps(results['machine'])}\ncode: {results['code']}")
    if args.json:
        results["checks"] = [c.__dict__ for c in checks]
        Path(args.json).write_text(json.dumps(results, indent=2, default=str))
    return 1 if any(c.ok is False for c in checks) else 0


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench egov-letters")
    parser.add_argument("--renders", type=int, default=20)
    parser.add_argument(
        "--weasyprint",
        default="",
        help="a Python interpreter with WeasyPrint installed, to compare its memory and time",
    )
    parser.add_argument("--json", help="write all figures to this file")
    return run(parser.parse_args(argv))
