"""ZIM archives for the library's tests and bench, built with Debian's zimwriterfs (zim-tools)
from generated HTML pages, once, into a cache directory keyed by their content; and kiwix-serve
(kiwix-tools) started on a library as its own process."""

import hashlib
import json
import os
import shutil
import struct
import subprocess
import tempfile
import zlib
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.harness.processes import HOST, ROOT, free_port, http_status, wait_until

CACHE_DIR = ROOT / ".cache" / "elearning-library"
TOOLS = ("kiwix-serve", "kiwix-manage", "zimwriterfs")
INSTALL_HINT = "install them with: apt-get install kiwix-tools zim-tools (scripts/test does)"


def tools_required() -> None:
    """Fail (never skip) when a program the library needs is missing."""
    missing = [name for name in TOOLS if shutil.which(name) is None]
    if missing:
        pytest.fail(f"{', '.join(missing)} not found: {INSTALL_HINT}")


def _png(width: int, height: int) -> bytes:
    raw = b"".join(b"\x00" + b"\x1d\x5c\x3a" * width for _ in range(height))

    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = zlib.crc32(kind + data) & 0xFFFFFFFF
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(raw))
        + chunk(b"IEND", b"")
    )


def page_html(title: str, body: str) -> str:
    return (
        f'<!doctype html><html><head><meta charset="utf-8"><title>{title}</title></head>'
        f"<body><h1>{title}</h1>{body}</body></html>"
    )


@dataclass(frozen=True)
class ZimSpec:
    """What a test archive holds: file name -> content, and its metadata."""

    file_name: str
    title: str
    description: str
    pages: dict[str, str]
    language: str = "ind"
    welcome: str = "index.html"

    def key(self) -> str:
        version = subprocess.run(
            ["zimwriterfs", "--version"], capture_output=True, text=True, check=False
        ).stdout
        blob = json.dumps([self.__dict__, version], sort_keys=True, ensure_ascii=False)
        return hashlib.sha256(blob.encode()).hexdigest()[:16]


def zim_path(spec: ZimSpec, cache_dir: Path = CACHE_DIR) -> Path:
    return cache_dir / f"{spec.key()}-{spec.file_name}"


def zim_build(spec: ZimSpec, cache_dir: Path = CACHE_DIR) -> Path:
    """The archive of ``spec``, built by zimwriterfs unless the cache has it already."""
    tools_required()
    target = zim_path(spec, cache_dir)
    if target.exists():
        return target
    cache_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=cache_dir) as work:
        html = Path(work) / "html"
        html.mkdir()
        (html / "ikon.png").write_bytes(_png(48, 48))
        for name, content in spec.pages.items():
            (html / name).write_text(content, encoding="utf-8")
        out = Path(work) / spec.file_name
        result = subprocess.run(
            [
                "zimwriterfs",
                f"--welcome={spec.welcome}",
                "--illustration=ikon.png",
                f"--language={spec.language}",
                f"--title={spec.title}",
                f"--description={spec.description}",
                "--creator=Balai",
                "--publisher=Balai",
                f"--name={Path(spec.file_name).stem}",
                str(html),
                str(out),
            ],
            capture_output=True,
            text=True,
            check=False,
        )
        if result.returncode != 0 or not out.exists():
            pytest.fail(f"zimwriterfs failed ({result.returncode}):\n{result.stderr[-2000:]}")
        os.replace(out, target)
    return target


# the archive of the in-process tests: a few pages on farming, one text file for ranges
SMALL = ZimSpec(
    file_name="tani.zim",
    title="Pustaka Tani",
    description="Panduan bertani untuk desa",
    pages={
        "index.html": page_html(
            "Beranda",
            '<p>Selamat datang. <a href="padi.html">Padi</a>, <a href="kopi.html">Kopi</a></p>',
        ),
        "padi.html": page_html(
            "Menanam padi", "<p>Padi sawah ditanam setelah tanah diolah. Pupuk urea tiga kali.</p>"
        ),
        "kopi.html": page_html(
            "Kopi robusta", "<p>Kopi robusta tumbuh di dataran rendah Jambi.</p>"
        ),
        "sawit.html": page_html("Kelapa sawit", "<p>Tandan sawit dipanen dua minggu sekali.</p>"),
        "data.txt": "".join(f"baris {i:05d}\n" for i in range(2000)),
    },
)


@dataclass
class KiwixServe:
    process: subprocess.Popen
    port: int
    library_xml: Path

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.port}"

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=5)


def kiwix_serve_start(library_xml: Path, log_path: Path) -> KiwixServe:
    """kiwix-serve on ``library_xml`` as scripts/run starts it, on a free port."""
    tools_required()
    port = free_port()
    with log_path.open("ab") as log:
        process = subprocess.Popen(
            [
                "kiwix-serve",
                "--library",
                "--monitorLibrary",
                "--nosearchbar",
                "--address",
                HOST,
                "--port",
                str(port),
                "--urlRootLocation",
                "/pustaka",
                str(library_xml),
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )
    server = KiwixServe(process=process, port=port, library_xml=library_xml)
    catalog = f"{server.url}/pustaka/catalog/v2/entries"
    if not wait_until(lambda: process.poll() is not None or http_status(catalog) == 200, 20, 0.05):
        server.stop()
        pytest.fail(f"kiwix-serve did not answer on {catalog}; see {log_path}")
    if process.poll() is not None:
        pytest.fail(f"kiwix-serve exited with {process.returncode}; see {log_path}")
    return server
