"""ffmpeg (Debian's, run as its own process) preparing course media for phones, on the upstream
only, from the django-q2 task (``tasks.py``), never in a request.

Video: MP4, H.264 main profile (every Android phone decodes it in hardware) at ≤ 480 lines and
≈ 450 kbit/s, AAC audio at 64 kbit/s, ``+faststart`` (the index first, so a phone starts and
seeks before the whole file is there); a poster frame as JPEG. Audio: AAC in MP4 (``.m4a``).
A file ffprobe cannot read as the kind it claims is refused with the reason.
"""

import json
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from django.utils.translation import gettext as _

VIDEO_HEIGHT = 480
VIDEO_BITRATE = "450k"
VIDEO_MAXRATE = "500k"
AUDIO_BITRATE = "64k"
# generous: a Pi-class upstream is never used, but a long lecture on a busy server may take a while
MIN_TIMEOUT = 120


class TranscodeError(Exception):
    """The file cannot be prepared; the message is for the content team (Indonesian)."""


@dataclass
class Prepared:
    path: Path
    duration: int
    poster: Path | None = None


def tool(name: str) -> str:
    found = shutil.which(name)
    if not found:
        raise TranscodeError(
            _("%(tool)s tidak terpasang di server ini (paket Debian ffmpeg).") % {"tool": name}
        )
    return found


def probe(path: Path) -> dict:
    """What ffprobe sees in ``path``: ``{"duration": seconds, "video": bool, "audio": bool}``."""
    try:
        done = subprocess.run(  # noqa: S603 - fixed arguments, our own path
            [
                tool("ffprobe"),
                "-v",
                "error",
                "-show_entries",
                "format=duration:stream=codec_type",
                "-of",
                "json",
                str(path),
            ],
            capture_output=True,
            timeout=60,
            check=False,
        )
    except subprocess.TimeoutExpired as exc:
        raise TranscodeError(_("Berkas tidak dapat dibaca (waktu habis).")) from exc
    if done.returncode != 0:
        raise TranscodeError(
            _("Berkas rusak atau bukan media: %(reason)s") % {"reason": _first_line(done.stderr)}
        )
    try:
        info = json.loads(done.stdout or b"{}")
        kinds = {s.get("codec_type") for s in info.get("streams", [])}
        duration = float(info.get("format", {}).get("duration") or 0)
    except (ValueError, TypeError, AttributeError) as exc:
        raise TranscodeError(_("Berkas rusak atau bukan media.")) from exc
    return {"duration": duration, "video": "video" in kinds, "audio": "audio" in kinds}


def _first_line(stderr: bytes) -> str:
    text = (stderr or b"").decode("utf-8", "replace").strip().splitlines()
    return (text[0] if text else "ffmpeg")[:200]


def _run(args: list[str], timeout: float) -> None:
    try:
        done = subprocess.run(  # noqa: S603 - fixed arguments, our own paths
            [tool("ffmpeg"), "-nostdin", "-hide_banner", "-v", "error", "-y", *args],
            capture_output=True,
            timeout=timeout,
            check=False,
        )
    except subprocess.TimeoutExpired as exc:
        raise TranscodeError(_("Pengolahan terlalu lama dan dihentikan.")) from exc
    if done.returncode != 0:
        raise TranscodeError(
            _("Berkas tidak dapat diolah: %(reason)s") % {"reason": _first_line(done.stderr)}
        )


def video_for_phones(source: Path, workdir: Path) -> Prepared:
    info = probe(source)
    if not info["video"]:
        raise TranscodeError(_("Berkas ini tidak berisi video."))
    timeout = max(MIN_TIMEOUT, 4 * info["duration"])
    out = workdir / "video.mp4"
    audio = ["-map", "0:a:0", "-c:a", "aac", "-b:a", AUDIO_BITRATE, "-ac", "2"]
    _run(
        [
            "-i",
            str(source),
            "-map",
            "0:v:0",
            *(audio if info["audio"] else ["-an"]),
            "-c:v",
            "libx264",
            "-profile:v",
            "main",
            "-preset",
            "veryfast",
            "-b:v",
            VIDEO_BITRATE,
            "-maxrate",
            VIDEO_MAXRATE,
            "-bufsize",
            "1000k",
            "-vf",
            f"scale=-2:'trunc(min({VIDEO_HEIGHT},ih)/2)*2'",
            "-pix_fmt",
            "yuv420p",
            "-movflags",
            "+faststart",
            str(out),
        ],
        timeout,
    )
    result = probe(out)
    poster = workdir / "poster.jpg"
    at = min(1.0, result["duration"] / 2)
    _run(["-ss", f"{at:.2f}", "-i", str(out), "-frames:v", "1", "-q:v", "5", str(poster)], 60)
    return Prepared(path=out, duration=round(result["duration"]), poster=poster)


def audio_for_phones(source: Path, workdir: Path) -> Prepared:
    info = probe(source)
    if not info["audio"]:
        raise TranscodeError(_("Berkas ini tidak berisi suara."))
    out = workdir / "audio.m4a"
    _run(
        [
            "-i",
            str(source),
            "-vn",
            "-map",
            "0:a:0",
            "-c:a",
            "aac",
            "-b:a",
            AUDIO_BITRATE,
            "-movflags",
            "+faststart",
            str(out),
        ],
        max(MIN_TIMEOUT, 2 * info["duration"]),
    )
    return Prepared(path=out, duration=round(probe(out)["duration"]))
