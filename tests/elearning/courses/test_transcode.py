"""The upstream prepares uploaded video and audio for phones with the real ffmpeg."""

import json
import shutil
import subprocess
from pathlib import Path

import pytest
from django.core.files.base import ContentFile

from elearning.courses.models import MediaAsset, MediaKind, TranscodeStatus
from elearning.courses.services import media_asset_uploaded, media_transcode
from elearning.courses.sync import media_audience

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="session")
def ffmpeg():
    missing = [name for name in ("ffmpeg", "ffprobe") if not shutil.which(name)]
    if missing:
        pytest.fail(
            f"{' and '.join(missing)} not found: install Debian's ffmpeg (scripts/test does)",
            pytrace=False,
        )
    return shutil.which("ffmpeg")


@pytest.fixture(scope="session")
def test_video(ffmpeg, tmp_path_factory):
    """A 2-second 960×720 test pattern with a tone (MPEG-4 part 2 and PCM: not for phones)."""
    path = tmp_path_factory.mktemp("video") / "upload.mov"
    subprocess.run(
        [
            ffmpeg,
            "-v",
            "error",
            "-f",
            "lavfi",
            "-i",
            "testsrc=size=960x720:rate=25:duration=2",
            "-f",
            "lavfi",
            "-i",
            "sine=frequency=440:duration=2",
            "-c:v",
            "mpeg4",
            "-c:a",
            "pcm_s16le",
            "-shortest",
            str(path),
        ],
        check=True,
        timeout=60,
    )
    return path.read_bytes()


def streams(path) -> dict:
    out = subprocess.run(
        ["ffprobe", "-v", "error", "-show_streams", "-of", "json", str(path)],
        capture_output=True,
        check=True,
    )
    return {s["codec_type"]: s for s in json.loads(out.stdout)["streams"]}


@pytest.fixture
def upstream_role(settings, media_root):
    settings.HUB_ROLE = "upstream"
    settings.SYNC_NODE_CODE = "15"


def upload(course, kind, name, data):
    asset = MediaAsset(course=course, kind=kind, title="Menyemai benih")
    asset.file.save(name, ContentFile(data), save=False)
    asset.save()
    return asset


def test_an_uploaded_video_is_made_h264_480p_faststart_with_a_poster_then_travels(
    upstream_role, course_here, test_video, django_capture_on_commit_callbacks
):
    # given a content team uploads a 720-line video on the upstream
    with django_capture_on_commit_callbacks() as callbacks:
        asset = media_asset_uploaded(
            asset=upload(course_here, MediaKind.VIDEO, "a.mov", test_video)
        )
    # then it waits for the cluster, and does not travel yet
    assert asset.status == TranscodeStatus.WAITING
    assert any(c.__qualname__.startswith("media_asset_uploaded") for c in callbacks)
    assert media_audience(asset) is None
    # when the task runs
    asset = media_transcode(asset_id=asset.pk)
    # then the file is an MP4 for phones
    assert asset.status == TranscodeStatus.READY, asset.status_message
    path = asset.file.path
    assert path.endswith(".mp4")
    found = streams(path)
    assert found["video"]["codec_name"] == "h264"
    assert found["video"]["profile"] in ("Main", "Constrained Baseline", "Baseline")
    assert int(found["video"]["height"]) == 480 and int(found["video"]["width"]) == 640
    assert found["audio"]["codec_name"] == "aac"
    head = Path(path).read_bytes()
    assert head.index(b"moov") < head.index(b"mdat"), "the index must come first (faststart)"
    assert asset.duration == 2 and asset.size == len(head) and asset.poster is not None
    # and now it travels to the course's region
    assert media_audience(asset) == "15"


def test_a_truncated_video_is_refused_with_a_clear_message_and_never_travels(
    upstream_role, course_here, test_video
):
    # given an upload cut off after its first kilobytes
    asset = media_asset_uploaded(
        asset=upload(course_here, MediaKind.VIDEO, "rusak.mp4", test_video[:3000])
    )
    # when the task runs
    asset = media_transcode(asset_id=asset.pk)
    # then
    asset.refresh_from_db()
    assert asset.status == TranscodeStatus.FAILED
    assert asset.status_message.startswith(("Berkas rusak", "Berkas tidak dapat", "Berkas ini"))
    assert media_audience(asset) is None


def test_a_hostile_file_posing_as_video_is_refused(upstream_role, course_here):
    asset = media_asset_uploaded(
        asset=upload(course_here, MediaKind.VIDEO, "virus.mp4", b"MZ\x90\x00" + b"\x00" * 4000)
    )
    asset = media_transcode(asset_id=asset.pk)
    assert asset.status == TranscodeStatus.FAILED and "Berkas" in asset.status_message


def test_uploaded_audio_becomes_aac(upstream_role, course_here, ffmpeg, tmp_path):
    wav = tmp_path / "suara.wav"
    subprocess.run(
        [ffmpeg, "-v", "error", "-f", "lavfi", "-i", "sine=duration=1", str(wav)], check=True
    )
    asset = media_asset_uploaded(
        asset=upload(course_here, MediaKind.AUDIO, "suara.wav", wav.read_bytes())
    )
    asset = media_transcode(asset_id=asset.pk)
    assert asset.status == TranscodeStatus.READY, asset.status_message
    assert streams(asset.file.path)["audio"]["codec_name"] == "aac"


def test_a_village_never_transcodes(course_here, media_root):
    # given a village's own video (villages take MP4 as it comes)
    asset = media_asset_uploaded(
        asset=upload(course_here, MediaKind.VIDEO, "demo.mp4", b"\x00\x00\x00\x18ftypmp42")
    )
    # then it is ready as it is, and the task refuses to run here
    assert asset.status == TranscodeStatus.READY
    with pytest.raises(RuntimeError, match="villages never transcode"):
        media_transcode(asset_id=asset.pk)
