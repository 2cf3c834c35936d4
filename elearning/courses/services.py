"""Writes of the courses app: grading a quiz, finishing a lesson (both into the device's
progress cookie, or the learner profile the phone is logged in to), learner profiles (create,
log in with the PIN lock, new PIN), and taking in an uploaded media file."""

import shutil
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from django.conf import settings
from django.core.files import File
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django_q.tasks import async_task

from hub.core.roles import is_upstream
from hub.media.services import image_from_bytes

from . import profiles, transcode
from .models import (
    Block,
    BlockKind,
    Certificate,
    Course,
    CourseMonthStat,
    Learner,
    LearnerGroup,
    Lesson,
    MediaAsset,
    MediaKind,
    PinFailure,
    Question,
    TranscodeStatus,
)
from .progress import PASS_PERCENT, Progress


class QuizInvalid(ValueError):
    """A quiz answer that cannot be graded (unanswered, or not one of the choices)."""


@dataclass
class QuestionResult:
    question: Question
    chosen: int | None
    correct: bool


@dataclass
class QuizResult:
    results: list[QuestionResult]
    percent: int
    best: int

    @property
    def passed(self) -> bool:
        return self.percent >= PASS_PERCENT

    def for_question(self, question) -> QuestionResult | None:
        return next((r for r in self.results if r.question.pk == question.pk), None)


def answer_key(question) -> str:
    return f"q-{question.pk}"


def quiz_grade(*, block, answers: Mapping[str, str]) -> list[QuestionResult]:
    """Grade ``answers`` (form data: ``q-<question id>`` → the chosen option's index) against
    the quiz ``block``. Raises :class:`QuizInvalid`, grading nothing, when a question is
    unanswered or an answer is not one of its options."""
    if block.kind != BlockKind.QUIZ:
        raise QuizInvalid(_("Bagian ini bukan kuis."))
    questions = list(block.questions.all())
    if not questions:
        raise QuizInvalid(_("Kuis ini belum berisi pertanyaan."))
    results = []
    for question in questions:
        raw = str(answers.get(answer_key(question), "")).strip()
        if not raw:
            raise QuizInvalid(_("Jawab semua pertanyaan dulu, lalu periksa."))
        if not raw.isdigit() or int(raw) >= len(question.options):
            raise QuizInvalid(_("Jawaban tidak dikenal. Pilih salah satu pilihan yang ada."))
        chosen = int(raw)
        results.append(QuestionResult(question, chosen, chosen == question.answer))
    return results


def quiz_submit(*, progress: Progress, lesson: Lesson, block, answers) -> QuizResult:
    """Grade the quiz, keep the best score in the device's progress, and finish the lesson
    once every quiz in it is passed. The month's figures count a device's first answers."""
    results = quiz_grade(block=block, answers=answers)
    course = lesson.course
    touched = _course_touched(progress, course)
    was_done = progress.course_done(course.lessons.all())
    first_try = progress.best_score(block) is None
    percent = round(100 * sum(r.correct for r in results) / len(results))
    best = progress.record_score(block, percent)
    quizzes = [b for b in lesson.blocks.all() if b.kind == BlockKind.QUIZ]
    if all((progress.best_score(q) or 0) >= PASS_PERCENT for q in quizzes):
        progress.mark_done(lesson)
    course_stat_record(
        course=course,
        started=not touched,
        completed=not was_done and progress.course_done(course.lessons.all()),
        first_answers=[(r.question.pk, r.correct) for r in results] if first_try else [],
    )
    return QuizResult(results=results, percent=percent, best=best)


def lesson_complete(*, progress: Progress, lesson: Lesson) -> None:
    """Mark a lesson finished on this device (a lesson with quizzes finishes by passing them)."""
    quizzes = [b for b in lesson.blocks.all() if b.kind == BlockKind.QUIZ]
    if not all((progress.best_score(q) or 0) >= PASS_PERCENT for q in quizzes):
        raise QuizInvalid(
            _("Selesaikan kuisnya dulu (nilai paling sedikit %(n)d).") % {"n": PASS_PERCENT}
        )
    if progress.lesson_done(lesson):
        return
    touched = _course_touched(progress, lesson.course)
    progress.mark_done(lesson)
    course_stat_record(
        course=lesson.course,
        started=not touched,
        completed=progress.course_done(lesson.course.lessons.all()),
    )


def _course_touched(progress: Progress, course: Course) -> bool:
    """Whether this device had done anything in ``course`` yet (a lesson, a quiz)."""
    if any(progress.lesson_done(lesson) for lesson in course.lessons.all()):
        return True
    quizzes = Block.objects.filter(lesson__course=course, kind=BlockKind.QUIZ).only("id")
    return any(progress.best_score(q) is not None for q in quizzes)


def course_stat_record(*, course: Course, started=False, completed=False, first_answers=()):
    """Add to this month's figures of ``course`` on this hub (no personal data)."""
    if not (started or completed or first_answers):
        return
    month = timezone.localdate().replace(day=1)
    with transaction.atomic():
        candidates = CourseMonthStat.objects.select_for_update().filter(
            course_id_ref=course.pk, month=month
        )
        stat = next((c for c in candidates if c.is_local), None)
        if stat is None:
            stat = CourseMonthStat(course_id_ref=course.pk, month=month)
        stat.course_title = course.title[:160]
        stat.started += int(bool(started))
        stat.completed += int(bool(completed))
        answers = dict(stat.answers or {})
        for question_id, correct in first_answers:
            answered, right = answers.get(str(question_id), [0, 0])
            answers[str(question_id)] = [answered + 1, right + int(bool(correct))]
        stat.answers = answers
        stat.save()


TRANSCODED_KINDS = (MediaKind.VIDEO, MediaKind.AUDIO)


def media_asset_uploaded(*, asset: MediaAsset) -> MediaAsset:
    """After a content team saves a new file: on the upstream, video and audio wait for the
    transcoding task (they travel once ready); everything else, and anything a village adds
    itself (villages never transcode), is ready as it is."""
    if is_upstream() and asset.kind in TRANSCODED_KINDS and asset.file:
        asset.status, asset.status_message = TranscodeStatus.WAITING, ""
        asset.sha256, asset.size = "", 0
        asset.save()
        pk = str(asset.pk)
        transaction.on_commit(
            lambda: async_task(
                "elearning.courses.tasks.media_transcode_task", pk, task_name=f"transcode-{pk}"
            )
        )
        return asset
    asset.status, asset.status_message = TranscodeStatus.READY, ""
    asset.sha256, asset.size = "", asset.file.size if asset.file else 0
    asset.save()
    return asset


def media_transcode(*, asset_id) -> MediaAsset:
    """Prepare an uploaded video or audio file for phones (upstream only; ``transcode.py``),
    replace the upload with the result, add the poster frame, and mark it ready — the save that
    lets it travel. A file that cannot be prepared is marked failed with the reason for the
    content team, keeps its upload, and goes nowhere."""
    if not is_upstream():
        raise RuntimeError("villages never transcode: media arrives prepared from the upstream")
    asset = MediaAsset.objects.select_related("course").get(pk=asset_id)
    if asset.kind not in TRANSCODED_KINDS or not asset.file:
        return asset
    with tempfile.TemporaryDirectory(prefix="balai-transcode-") as tmp:
        workdir = Path(tmp)
        source = workdir / ("upload" + Path(asset.file.name).suffix[:10])
        with asset.file.open("rb") as upload, open(source, "wb") as copy:
            shutil.copyfileobj(upload, copy, 1024 * 1024)
        try:
            if asset.kind == MediaKind.VIDEO:
                prepared = transcode.video_for_phones(source, workdir)
            else:
                prepared = transcode.audio_for_phones(source, workdir)
        except transcode.TranscodeError as exc:
            asset.status, asset.status_message = TranscodeStatus.FAILED, str(exc)[:300]
            asset.save()
            return asset
        upload_name = asset.file.name
        with open(prepared.path, "rb") as handle:
            asset.file.save(prepared.path.name, File(handle), save=False)
        if prepared.poster is not None:
            asset.poster = image_from_bytes(
                data=prepared.poster.read_bytes(), title=asset.title[:200], name="poster.jpg"
            )
    asset.duration = prepared.duration
    asset.sha256, asset.size = "", asset.file.size
    asset.status, asset.status_message = TranscodeStatus.READY, ""
    asset.save()
    asset.file.storage.delete(upload_name)
    return asset


NICKNAME_MAX = 40


class CertificateRefused(ValueError):
    """No certificate: the course is not done on this device, or the nickname is refused."""


def certificate_issue(*, progress: Progress, course: Course, nickname: str = "") -> Certificate:
    """A certificate for a course this device has finished (its signed progress says so), with
    an optional nickname — never a number that could be a phone, NIK or KK; a learner profile's
    certificate carries the profile's nickname. A device (or profile) that has one for the
    course gets the same one again."""
    lessons = list(course.lessons.all())
    if not progress.course_done(lessons):
        raise CertificateRefused(_("Selesaikan semua pelajaran kursus ini dulu."))
    nickname = " ".join(str(nickname or "").split())
    if progress.learner is not None:
        # a profile's certificate carries its nickname, and only that
        nickname = progress.learner.nickname
    problem = nickname_problem(nickname, required=False)
    if problem:
        raise CertificateRefused(problem)
    existing = progress.certificate(course)
    if existing:
        found = Certificate.objects.filter(token=existing, course=course).first()
        if found is not None:
            return found
    certificate = Certificate.objects.create(
        course=course,
        course_title=course.title,
        course_source=course.source,
        lesson_count=len(lessons),
        nickname=nickname,
    )
    progress.remember_certificate(course, certificate.token)
    return certificate


def nickname_problem(nickname: str, *, required: bool) -> str:
    """Why ``nickname`` (already cleaned) cannot be used, or "": too long, or a number that
    could be a phone, NIK or KK (personal data stays off the hub's pages)."""
    if required and len(nickname) < 2:
        return _("Tulis nama panggilan, paling sedikit 2 huruf.")
    if len(nickname) > NICKNAME_MAX:
        return _("Nama panggilan paling panjang %(n)d huruf.") % {"n": NICKNAME_MAX}
    if sum(ch.isdigit() for ch in nickname) >= 6:
        return _("Tulis nama panggilan saja, tanpa nomor telepon atau NIK.")
    return ""


class ProfileRefused(ValueError):
    """A learner profile not made, or a login refused; the message says why, for the learner."""


class ProfileLocked(ProfileRefused):
    """Too many wrong PINs for this nickname: no PIN is checked until the lock ends."""


def learner_create(*, nickname: str, pin: str, pin_again: str, group_id) -> Learner:
    """A new learner profile in an active group. Refused, making nothing, for a bad nickname,
    one already taken (case does not count), a PIN that is not 4 digits or not typed the same
    twice, or a group that is not there."""
    nickname = profiles.nickname_clean(nickname)
    problem = nickname_problem(nickname, required=True)
    if problem:
        raise ProfileRefused(problem)
    if not profiles.pin_valid(pin):
        raise ProfileRefused(_("PIN harus 4 angka."))
    if pin != pin_again:
        raise ProfileRefused(_("Kedua PIN tidak sama. Ketik ulang."))
    group = (
        LearnerGroup.objects.filter(pk=group_id, active=True).first()
        if str(group_id).isdigit()
        else None
    )
    if group is None:
        raise ProfileRefused(_("Pilih kelompok Anda."))
    try:
        with transaction.atomic():
            return Learner.objects.create(
                nickname=nickname,
                nickname_key=profiles.nickname_key(nickname),
                group=group,
                pin_hash=profiles.pin_hash(pin),
            )
    except IntegrityError as exc:
        raise ProfileRefused(
            _("Nama panggilan %(name)s sudah dipakai. Pilih nama lain, mis. dengan nama dusun.")
            % {"name": nickname}
        ) from exc


def learner_login(*, nickname: str, pin: str, address: str = "", now=None) -> Learner:
    """The profile for ``nickname`` when ``pin`` is its PIN.

    Every try takes one of the nickname's slots first, in one conditional UPDATE, so parallel
    tries cannot slip past the count: after ``LEARNER_PIN_LOCK_AFTER`` wrong PINs in a row the
    profile waits ``LEARNER_PIN_LOCK_SECONDS``, and after ``LEARNER_PIN_MAX_FAILURES`` it stays
    locked until a facilitator gives it a new PIN — at most that many of the 10,000 PINs can
    ever be tried. A right PIN clears the count. An unknown nickname gets the same answer as a
    wrong PIN.

    Apart from that, a client ``address`` with ``LEARNER_PIN_ADDRESS_LIMIT`` wrong PINs (any
    nicknames) in the last ``LEARNER_PIN_ADDRESS_WINDOW`` seconds is refused before any profile
    is looked at, so one phone cannot lock the whole village's profiles."""
    now = now or timezone.now()
    refused = _("Nama panggilan atau PIN salah.")
    address_key = profiles.address_key(address) if address else ""
    if address_key:
        window = now - timedelta(seconds=settings.LEARNER_PIN_ADDRESS_WINDOW)
        recent = PinFailure.objects.filter(address_key=address_key, at__gt=window).count()
        if recent >= settings.LEARNER_PIN_ADDRESS_LIMIT:
            raise ProfileLocked(
                _("Terlalu banyak PIN salah dari ponsel ini. Coba lagi %(n)d menit lagi.")
                % {"n": max(1, -(-settings.LEARNER_PIN_ADDRESS_WINDOW // 60))}
            )
    learner = Learner.objects.filter(nickname_key=profiles.nickname_key(nickname)).first()
    if learner is None or not profiles.pin_valid(pin):
        profiles.pin_burn()
        _pin_failure_record(address_key, now)
        raise ProfileRefused(refused)
    taken = Learner.objects.filter(
        Q(locked_until__isnull=True) | Q(locked_until__lte=now),
        pk=learner.pk,
        failed_pins__lt=settings.LEARNER_PIN_MAX_FAILURES,
    ).update(failed_pins=F("failed_pins") + 1)
    if not taken:
        learner.refresh_from_db(fields=["failed_pins", "locked_until"])
        raise ProfileLocked(_locked_message(learner))
    if profiles.pin_matches(pin, learner.pin_hash):
        Learner.objects.filter(pk=learner.pk).update(failed_pins=0, locked_until=None)
        learner.refresh_from_db()
        return learner
    learner.refresh_from_db(fields=["failed_pins", "locked_until"])
    _pin_failure_record(address_key, now)
    if learner.failed_pins >= settings.LEARNER_PIN_MAX_FAILURES:
        raise ProfileLocked(_locked_message(learner))
    if learner.failed_pins % settings.LEARNER_PIN_LOCK_AFTER == 0:
        learner.locked_until = now + timedelta(seconds=settings.LEARNER_PIN_LOCK_SECONDS)
        learner.save(update_fields=["locked_until"])
        raise ProfileLocked(_locked_message(learner))
    raise ProfileRefused(refused)


def _pin_failure_record(address_key: str, now) -> None:
    """Note a wrong PIN from an address, and forget those older than the window."""
    if not address_key:
        return
    PinFailure.objects.create(address_key=address_key, at=now)
    window = now - timedelta(seconds=settings.LEARNER_PIN_ADDRESS_WINDOW)
    PinFailure.objects.filter(at__lte=window).delete()


def _locked_message(learner: Learner) -> str:
    if learner.failed_pins >= settings.LEARNER_PIN_MAX_FAILURES:
        return _(
            "Profil ini terkunci karena PIN salah terlalu sering. Minta pendamping kelompok Anda "
            "membuat PIN baru."
        )
    minutes = max(1, -(-settings.LEARNER_PIN_LOCK_SECONDS // 60))
    return _("PIN salah terlalu sering. Profil ini dikunci; coba lagi %(n)d menit lagi.") % {
        "n": minutes
    }


def learner_progress_merge(*, learner: Learner, device: Progress) -> Progress:
    """On login: the device's progress joins the profile's (a lesson done on either is done,
    the best score wins). The month's figures are not counted again: the device was counted
    when it did the work."""
    progress = Progress.for_learner(learner)
    progress.merge(device)
    progress.changed = True
    progress.save(None)
    return progress


def learner_pin_reset(*, learner: Learner, pin: str) -> Learner:
    """A facilitator's new PIN for a learner who forgot it or was locked out: clears the lock
    and signs out every phone logged in with the old PIN."""
    if not profiles.pin_valid(pin):
        raise ProfileRefused(_("PIN harus 4 angka."))
    learner.pin_hash = profiles.pin_hash(pin)
    learner.failed_pins, learner.locked_until = 0, None
    learner.login_version += 1
    learner.save(update_fields=["pin_hash", "failed_pins", "locked_until", "login_version"])
    return learner
