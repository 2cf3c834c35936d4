"""A course on a phone, in a real browser, on a real village hub (scripts/run: gunicorn, the
cluster, SQLite): open a course, play its video and seek to the middle (the request from there
is a 206), answer a quiz wrong then right, see the progress on the course page, and find it
again after the server restarted (a signed cookie on the phone; nothing on the hub). Save a
lesson for offline (its text, picture and, on request, its video), leave the Wi-Fi, and read
and play it again; where the hub is on plain http the lesson says why saving is unavailable.

The course (a 40-second H.264 test video made with ffmpeg, captions, a quiz) is seeded with
``scripts/manage shell`` in the hub's own data directory. Debian's Chromium at 390 px, driven
by Playwright.
"""

import shutil
import subprocess
import time

import pytest
from playwright.sync_api import expect

from tests.harness.chromium import PHONE
from tests.harness.hubs import HubStarter, manage_shell

pytestmark = pytest.mark.e2e

SEED = """
import io
import json
from pathlib import Path
import PIL.Image
from django.conf import settings
from hub.media.renditions import rendition_filters
from hub.media.services import image_from_bytes
from elearning.courses.models import Block, Course, Lesson, MediaAsset, Question
root = Path(settings.MEDIA_ROOT) / "belajar" / "e2e"
root.mkdir(parents=True, exist_ok=True)
(root / "id.vtt").write_text("WEBVTT\\n\\n00:00.000 --> 00:05.000\\nMenyemai benih\\n")
course = Course.objects.create(title="Budidaya cabai", slug="cabai", category="pertanian",
    licence="CC BY 4.0", source="Dinas Pertanian")
video_lesson = Lesson.objects.create(course=course, title="Menyemai benih", sort_order=1)
quiz_lesson = Lesson.objects.create(course=course, title="Uji pemahaman", sort_order=2)
video = MediaAsset.objects.create(course=course, kind="video", title="Menyemai",
    file="belajar/e2e/video.mp4", size=(root / "video.mp4").stat().st_size, status="siap")
vtt = MediaAsset.objects.create(course=course, kind="captions", title="Bahasa Indonesia",
    file="belajar/e2e/id.vtt", size=40, status="siap")
Block.objects.create(lesson=video_lesson, kind="video", media=video, captions=vtt, sort_order=1)
Block.objects.create(lesson=video_lesson, kind="teks", sort_order=2,
    text="Rendam benih cabai semalam dalam air hangat.")
buffer = io.BytesIO()
PIL.Image.new("RGB", (800, 600), (40, 140, 60)).save(buffer, "PNG")
picture = image_from_bytes(data=buffer.getvalue(), title="Benih", name="benih.png")
for spec in rendition_filters("full"):
    picture.get_rendition(spec)
Block.objects.create(lesson=video_lesson, kind="gambar", image=picture, sort_order=3,
    heading="Benih direndam")
quiz = Block.objects.create(lesson=quiz_lesson, kind="kuis", sort_order=1)
Question.objects.create(block=quiz, prompt="Kapan benih disemai?", choices=["Setelah direndam",
    "Langsung"], answer=0, explanation="Benih yang direndam tumbuh lebih cepat.")
print(json.dumps({"course": f"/belajar/kursus/{course.pk}/", "video": "/media/" + video.file.name,
    "lesson": f"/belajar/pelajaran/{video_lesson.pk}/"}))
"""


def make_video(path) -> subprocess.Popen:
    """ffmpeg started on the test video at ``path``; the caller waits for it (it runs while the
    hub starts)."""
    ffmpeg = shutil.which("ffmpeg")
    if not ffmpeg:
        pytest.fail("ffmpeg not found: install Debian's ffmpeg (scripts/test does)", pytrace=False)
    path.parent.mkdir(parents=True, exist_ok=True)
    return subprocess.Popen(
        [
            ffmpeg,
            "-v",
            "error",
            "-y",
            "-f",
            "lavfi",
            "-i",
            # noise: ≈ 5 Mbit/s, so the 10 s Chromium buffers ahead end well before the
            # middle, and the seek there needs a range request of its own
            "nullsrc=s=320x240:r=15:d=40,geq=lum='random(1)*255':cb=128:cr=128",
            "-c:v",
            "libx264",
            "-profile:v",
            "main",
            "-preset",
            "ultrafast",
            "-crf",
            "20",
            "-pix_fmt",
            "yuv420p",
            "-g",
            "15",
            "-movflags",
            "+faststart",
            str(path),
        ],
        stdin=subprocess.DEVNULL,
    )


SEEKED_TO_THE_MIDDLE = "(v => !v.seeking && v.currentTime >= 20)(document.querySelector('video'))"


def poll_until(page, done, timeout: float = 15) -> None:
    """Until ``done()`` (every 0.1 s, the page's events handled meanwhile), at most ``timeout``
    seconds; the assertions after it say what did not happen. (page.wait_for_function evaluates
    a string, which the hub's CSP forbids: no unsafe-eval.)"""
    deadline = time.monotonic() + timeout
    while not done() and time.monotonic() < deadline:
        page.wait_for_timeout(100)


@pytest.fixture(scope="module")
def starter(tmp_path_factory):
    starter = HubStarter(tmp_path_factory.mktemp("learn"), template="demo")
    yield starter
    starter.stop_all()


@pytest.fixture(scope="module")
def hub(starter, tmp_path_factory):
    # the video is made while the hub starts (its data directory is a copy made by the start)
    made = tmp_path_factory.mktemp("video") / "video.mp4"
    ffmpeg = make_video(made)
    try:
        hub = starter()
        status = ffmpeg.wait(timeout=300)
    finally:
        if ffmpeg.poll() is None:
            ffmpeg.kill()
            ffmpeg.wait()
    assert status == 0, f"ffmpeg exited with {status}"
    video = hub.data_dir / "media" / "belajar" / "e2e" / "video.mp4"
    video.parent.mkdir(parents=True, exist_ok=True)
    shutil.move(made, video)
    hub.seeded = manage_shell(hub.data_dir, SEED)
    return hub


def test_a_phone_plays_seeks_answers_and_keeps_its_progress_across_a_restart(browser, hub, starter):
    # given a phone (390 px) that records the answers to its video requests
    context = browser.new_context(viewport=PHONE)
    context.set_default_timeout(15_000)
    page = context.new_page()
    media = []
    page.on(
        "response",
        lambda r: (
            media.append((r.status, r.request.headers.get("range", "")))
            if "/media/belajar/e2e/video.mp4" in r.url
            else None
        ),
    )
    try:
        # when the learner opens the course from the list
        page.goto(hub.url("/belajar/"))
        page.locator("a", has_text="Budidaya cabai").click()
        expect(page.locator("#kemajuan")).to_contain_text("0 dari 2 pelajaran selesai")
        page.locator("a", has_text="Menyemai benih").click()

        # then the lesson has a player that loads nothing before it is played
        video = page.locator("video")
        expect(video).to_have_attribute("preload", "none")
        expect(page.locator("video track[kind=captions]")).to_have_attribute("srclang", "id")
        assert media == []

        # when it plays and the learner seeks to the middle
        page.evaluate("document.querySelector('video').muted = true")
        played = page.evaluate("document.querySelector('video').play().then(() => 'ok', String)")
        assert played == "ok", f"{played}; video responses: {media}"
        # (waits on the events themselves, polled every 0.1 s, instead of fixed sleeps)
        poll_until(page, lambda: page.evaluate("document.querySelector('video').duration > 0"))
        duration = page.evaluate("document.querySelector('video').duration")
        assert duration and 39 <= duration <= 41, duration
        page.evaluate("document.querySelector('video').currentTime = 20")
        poll_until(page, lambda: page.evaluate(SEEKED_TO_THE_MIDDLE))
        poll_until(page, lambda: any(r not in ("", "bytes=0-") for _s, r in media))
        position = page.evaluate("document.querySelector('video').currentTime")

        # then the video played from the middle, fetched by ranges the hub answered with 206
        assert position >= 20, position
        assert media and all(status == 206 for status, _range in media), media
        assert any(r.startswith("bytes=") and r != "bytes=0-" for _s, r in media), media

        # when they mark the lesson done, and answer the quiz wrong
        page.locator("button", has_text="Tandai selesai").click()
        expect(page.locator("h1")).to_have_text("Uji pemahaman")
        page.locator("label", has_text="Langsung").locator("input").check()
        page.locator("button", has_text="Periksa jawaban").click()

        # then the server says so and explains
        expect(page.locator("#nilai")).to_contain_text("Belum lulus")
        expect(page.locator(".why")).to_contain_text("direndam tumbuh lebih cepat")

        # when they answer right
        page.locator("label", has_text="Setelah direndam").locator("input").check()
        page.locator("button", has_text="Periksa jawaban").click()
        expect(page.locator("#nilai")).to_contain_text("Lulus!")

        # then the course page shows the whole course done
        page.goto(hub.url(hub.seeded["course"]))
        expect(page.locator("#kemajuan")).to_contain_text("2 dari 2 pelajaran selesai")
        expect(page.locator("#kemajuan")).to_contain_text("Kursus selesai.")

        # when the hub restarts (a power cut, a new release)
        hub.stop()
        again = starter(data_dir=hub.data_dir, port=hub.port)

        # then the phone's progress is still there
        page.goto(again.url(hub.seeded["course"]))
        expect(page.locator("#kemajuan")).to_contain_text("2 dari 2 pelajaran selesai")
    finally:
        context.close()


def test_a_saved_lesson_is_read_and_played_offline(browser, hub):
    # given a phone on the hub's Wi-Fi (127.0.0.1: a secure context, as HTTPS is) whose lesson
    # page is controlled by the hub's service worker
    context = browser.new_context(viewport=PHONE)
    context.set_default_timeout(15_000)
    page = context.new_page()
    lesson = hub.url(hub.seeded["lesson"])
    try:
        page.goto(lesson)
        assert page.evaluate("navigator.serviceWorker.ready.then(() => true)")
        page.reload()
        assert page.evaluate("navigator.serviceWorker.controller !== null")
        box = page.locator("#simpan-offline")
        expect(box.locator("[data-why]")).to_be_hidden()

        # when the learner saves the lesson, then its video (its size on the button)
        box.locator("button[data-save]").click()
        expect(box.locator("[data-status]")).to_contain_text("Tersimpan di ponsel ini")
        video_button = box.locator("button[data-save-media]")
        expect(video_button).to_contain_text("Simpan juga Menyemai (")
        expect(video_button).to_contain_text("MB)")
        video_button.click()
        expect(box.locator("[data-status]")).to_contain_text("dapat diputar tanpa internet")

        # and walks out of the Wi-Fi and opens the lesson again
        context.set_offline(True)
        page.goto(lesson)

        # then its text and picture are there
        expect(page.locator("h1")).to_have_text("Menyemai benih")
        expect(page.locator("main")).to_contain_text("Rendam benih cabai semalam")
        picture = page.locator("main figure img")
        expect(picture).to_have_count(1)
        picture.scroll_into_view_if_needed()
        page.wait_for_function("document.querySelector('main figure img').complete")
        assert page.evaluate("document.querySelector('main figure img').naturalWidth") > 0

        # and the video plays from the phone and seeks to the middle
        page.evaluate("document.querySelector('video').muted = true")
        played = page.evaluate("document.querySelector('video').play().then(() => 'ok', String)")
        assert played == "ok", played
        page.evaluate("document.querySelector('video').currentTime = 20")
        page.wait_for_function("document.querySelector('video').currentTime >= 20")
    finally:
        context.close()


def test_on_plain_http_the_lesson_says_why_it_cannot_be_saved(browser, hub):
    # given the hub reached by its Wi-Fi name over http (not a secure context: no service
    # worker, no Cache Storage), the pages served by the real hub
    context = browser.new_context(viewport=PHONE)
    context.set_default_timeout(15_000)
    context.route(
        "http://balai.lan/**",
        lambda route: route.fulfill(
            response=route.fetch(url=route.request.url.replace("http://balai.lan", hub.url("")))
        ),
    )
    page = context.new_page()
    try:
        # when the learner opens the lesson
        page.goto("http://balai.lan" + hub.seeded["lesson"])
        # then the box explains that saving needs HTTPS, and offers no button
        assert page.evaluate("window.isSecureContext") is False
        box = page.locator("#simpan-offline")
        expect(box.locator("[data-why]")).to_contain_text("HTTPS")
        expect(box.locator("[data-why]")).to_contain_text("http")
        expect(box.locator("button[data-save]")).to_be_hidden()
        expect(box.locator("button[data-save-media]")).to_be_hidden()
    finally:
        context.close()


def test_a_learner_makes_a_profile_and_logs_in_without_javascript(browser, hub):
    # given a phone without JavaScript that finished the first lesson without a profile
    context = browser.new_context(viewport=PHONE, java_script_enabled=False)
    context.set_default_timeout(15_000)
    page = context.new_page()
    try:
        page.goto(hub.url(hub.seeded["lesson"]))
        page.locator("button", has_text="Tandai selesai").click()
        page.goto(hub.url(hub.seeded["course"]))
        expect(page.locator("#kemajuan")).to_contain_text("1 dari 2 pelajaran selesai di perangkat")

        # when the learner makes a profile in the demo's group from the course page
        page.locator("#ke-profil").click()
        page.locator("#b-nick").fill("Wati")
        page.locator("#b-group").select_option(label="Kelompok Tani Maju")
        page.locator("#b-pin").fill("2580")
        page.locator("#b-pin2").fill("2580")
        page.locator("button", has_text="Buat profil").click()

        # then they are back on the course, the phone's progress now the profile's
        expect(page.locator("h1")).to_have_text("Budidaya cabai")
        expect(page.locator("#kemajuan")).to_contain_text("1 dari 2 pelajaran selesai (Wati)")

        # when they log out, then log in with a wrong PIN
        page.goto(hub.url("/belajar/profil/"))
        page.locator("button", has_text="Keluar dari profil").click()
        page.locator("#m-nick").fill("Wati")
        page.locator("#m-pin").fill("0000")
        page.locator("main button", has_text="Masuk").first.click()

        # then the hub refuses, saying why
        expect(page.locator("#salah-masuk")).to_contain_text("Nama panggilan atau PIN salah")

        # when they type the right PIN
        page.locator("#m-pin").fill("2580")
        page.locator("main button", has_text="Masuk").first.click()

        # then they are logged in with their progress
        expect(page.locator("#profil")).to_contain_text("Anda masuk sebagai Wati")
        page.goto(hub.url(hub.seeded["course"]))
        expect(page.locator("#kemajuan")).to_contain_text("1 dari 2 pelajaran selesai (Wati)")
    finally:
        context.close()
