"""Demo course for a new hub (``manage.py load_demo --only belajar``): one course of the
province's agriculture office with a text lesson and a quiz, as if it came down from the
upstream, and a learning group ("Kelompok Tani Maju") learners can join with a profile. No
video: a demo hub has none until a content team uploads one. Re-runnable."""

from hub.site.identity import village_code
from hub.sync.registry import received_from_origin

from .models import Block, BlockKind, Course, LearnerGroup, Lesson, Question, QuestionKind

DEMO_GROUP = "Kelompok Tani Maju"


def load_demo() -> list[str]:
    LearnerGroup.objects.get_or_create(name=DEMO_GROUP)
    code = village_code() or ""
    origin = code[:2] or "15"
    if Course.objects.filter(slug="pupuk-organik", origin=origin).exists():
        return ["belajar: kursus demo sudah ada"]
    with received_from_origin():
        course = Course.objects.create(
            origin=origin,
            rev=1,
            title="Membuat pupuk organik cair",
            slug="pupuk-organik",
            summary="Pupuk dari limbah dapur dan kotoran ternak, murah dan mudah dibuat.",
            category="pertanian",
            level="pemula",
            licence="CC BY 4.0",
            source="Dinas Tanaman Pangan dan Hortikultura (contoh)",
        )
        first = Lesson.objects.create(
            origin=origin, rev=1, course=course, title="Bahan dan alat", sort_order=1
        )
        Block.objects.create(
            origin=origin,
            rev=1,
            lesson=first,
            kind=BlockKind.TEXT,
            sort_order=1,
            text="Siapkan ember bertutup, air cucian beras, gula merah, EM4 dan sisa sayuran.\n\n"
            "Cincang sisa sayuran agar cepat terurai.",
        )
        second = Lesson.objects.create(
            origin=origin, rev=1, course=course, title="Uji pemahaman", sort_order=2
        )
        quiz = Block.objects.create(
            origin=origin, rev=1, lesson=second, kind=BlockKind.QUIZ, sort_order=1
        )
        Question.objects.create(
            origin=origin,
            rev=1,
            block=quiz,
            kind=QuestionKind.CHOICE,
            sort_order=1,
            prompt="Berapa lama pupuk organik cair difermentasi?",
            choices=["1 hari", "7–14 hari", "6 bulan"],
            answer=1,
            explanation="Fermentasi 7–14 hari; pupuk siap bila berbau seperti tape.",
        )
        Question.objects.create(
            origin=origin,
            rev=1,
            block=quiz,
            kind=QuestionKind.TRUE_FALSE,
            sort_order=2,
            prompt="Ember fermentasi harus ditutup.",
            answer=0,
            explanation="Ditutup agar fermentasi berjalan tanpa udara dan tidak dihinggapi lalat.",
        )
    return ["belajar: kursus demo “Membuat pupuk organik cair”"]
