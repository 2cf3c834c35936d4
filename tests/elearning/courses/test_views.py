"""The villager's pages under /belajar/: list, course, lesson, quizzes and progress."""

import json
import re

import pytest

from elearning.courses.models import Certificate, Course
from elearning.courses.progress import COOKIE_NAME

pytestmark = pytest.mark.django_db


def test_the_course_list_shows_published_courses_by_category(client, course, lessons, home):
    # when
    response = client.get("/belajar/")
    other = client.get("/belajar/kategori/kesehatan/")
    # then
    assert response.status_code == 200
    assert "Budidaya cabai" in response.text and "2 pelajaran" in response.text
    assert 'href="/belajar/kategori/pertanian/"' in response.text
    assert "Budidaya cabai" not in other.text


def test_an_unknown_category_is_a_404(client, course, home):
    assert client.get("/belajar/kategori/sihir/").status_code == 404


def test_a_course_page_lists_its_lessons_licence_and_no_progress_yet(client, lessons, home):
    # when
    response = client.get(f"/belajar/kursus/{lessons[0].course_id}/")
    # then
    assert response.status_code == 200
    assert "Menyemai benih" in response.text and "Merawat tanaman" in response.text
    assert "CC BY 4.0" in response.text and "Dinas Pertanian Provinsi Jambi" in response.text
    assert "0 dari 2 pelajaran selesai" in response.text
    assert "no-store" in response["Cache-Control"]


def test_an_unpublished_course_is_a_404(client, course, home):
    Course.objects.filter(pk=course.pk).update(published=False)
    assert client.get(f"/belajar/kursus/{course.pk}/").status_code == 404


def test_a_lesson_with_its_video_arrived_has_a_lazy_player_with_captions(
    client, video_block, text_block, home
):
    # given a video block whose file and captions are on the hub
    block = video_block()
    # when
    response = client.get(f"/belajar/pelajaran/{block.lesson_id}/")
    # then
    html = response.text
    assert response.status_code == 200
    assert re.search(r'<video controls preload="none" playsinline src="/media/belajar/', html)
    assert '<track kind="captions" srclang="id"' in html
    assert "Rendam benih semalam." in html


def test_a_lesson_whose_video_has_not_arrived_shows_the_waiting_message_not_a_player(
    client, video_block, home
):
    # given the record came down but its blob did not yet
    block = video_block(arrived=False)
    # when
    lesson = client.get(f"/belajar/pelajaran/{block.lesson_id}/")
    course = client.get(f"/belajar/kursus/{block.lesson.course_id}/")
    # then
    assert "<video" not in lesson.text
    assert "tiba setelah sinkronisasi" in lesson.text
    assert "Video tiba setelah sinkronisasi" in course.text
    assert "masih dalam perjalanan" in course.text


def test_a_lesson_without_quiz_is_marked_done_and_the_course_page_shows_it(
    client, text_block, lessons, home
):
    # when
    response = client.post(f"/belajar/pelajaran/{lessons[0].pk}/selesai/")
    # then it goes on to the next lesson and the device remembers
    assert response.status_code == 302
    assert response["Location"] == f"/belajar/pelajaran/{lessons[1].pk}/"
    assert COOKIE_NAME in response.cookies
    course = client.get(f"/belajar/kursus/{lessons[0].course_id}/")
    assert "1 dari 2 pelajaran selesai" in course.text


def quiz_post(client, quiz, answers):
    questions = list(quiz.questions.all())
    data = {f"q-{q.pk}": a for q, a in zip(questions, answers, strict=False)}
    return client.post(f"/belajar/pelajaran/{quiz.lesson_id}/kuis/{quiz.pk}/", data)


def test_a_quiz_answered_wrong_then_right_keeps_the_best_score_and_finishes_the_lesson(
    client, quiz, lessons, home
):
    # when answered wrong
    wrong = quiz_post(client, quiz, ["1", "0"])
    # then it says so, with explanations, and the lesson is not finished
    assert wrong.status_code == 200
    assert "Nilai Anda: 0." in wrong.text and "Belum lulus" in wrong.text
    assert "Benih yang direndam tumbuh lebih cepat." in wrong.text
    assert "1 dari 2" not in client.get(f"/belajar/kursus/{quiz.lesson.course_id}/").text
    # when answered right
    right = quiz_post(client, quiz, ["0", "1"])
    # then the lesson is finished and the best score kept even after a worse try
    assert "Nilai Anda: 100." in right.text and "Lulus!" in right.text
    again = quiz_post(client, quiz, ["0", "0"])
    assert "Nilai Anda: 50." in again.text and "Nilai terbaik: 100" in again.text
    course = client.get(f"/belajar/kursus/{quiz.lesson.course_id}/")
    assert "1 dari 2 pelajaran selesai" in course.text


@pytest.mark.parametrize("answers", [["0"], ["7", "0"], ["x", "1"], ["-1", "1"]])
def test_a_bad_quiz_answer_is_refused_and_nothing_recorded(client, quiz, home, answers):
    # when
    response = quiz_post(client, quiz, answers)
    # then
    assert response.status_code == 400
    assert 'role="alert"' in response.text
    assert COOKIE_NAME not in response.cookies


def test_a_quiz_lesson_cannot_be_marked_done_without_passing(client, quiz, home):
    response = client.post(f"/belajar/pelajaran/{quiz.lesson_id}/selesai/")
    assert response.status_code == 400
    assert COOKIE_NAME not in response.cookies


def test_a_forged_progress_cookie_counts_for_nothing(client, lessons, home):
    # given a cookie naming both lessons but not signed by this hub
    ids = [lesson.pk.hex[:16] for lesson in lessons]
    client.cookies[COOKIE_NAME] = json.dumps({"d": ids})
    # when
    response = client.get(f"/belajar/kursus/{lessons[0].course_id}/")
    # then
    assert "0 dari 2 pelajaran selesai" in response.text


def test_text_from_upstream_is_escaped(client, lessons, upstream_make, home):
    from elearning.courses.models import Block

    upstream_make(
        Block, lesson=lessons[0], kind="teks", sort_order=1, text="<script>alert(1)</script>"
    )
    response = client.get(f"/belajar/pelajaran/{lessons[0].pk}/")
    assert "<script>alert(1)" not in response.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in response.text


def test_the_course_list_and_a_lesson_take_few_queries(
    client, django_assert_max_num_queries, quiz, video_block, home
):
    block = video_block()
    client.get("/belajar/")  # warm the site's own per-generation lookups
    with django_assert_max_num_queries(8):
        client.get(f"/belajar/kursus/{block.lesson.course_id}/")
    with django_assert_max_num_queries(12):
        client.get(f"/belajar/pelajaran/{quiz.lesson_id}/")


def finish_course(client, lessons, quiz):
    client.post(f"/belajar/pelajaran/{lessons[0].pk}/selesai/")
    quiz_post(client, quiz, ["0", "1"])


def test_a_finished_course_gets_a_printable_certificate_verifiable_by_its_code(
    client, lessons, quiz, home
):
    # given a phone that finished both lessons
    finish_course(client, lessons, quiz)
    course_page = client.get(f"/belajar/kursus/{lessons[0].course_id}/")
    assert "Buat sertifikat" in course_page.text
    # when it asks for a certificate with a nickname
    response = client.post(
        f"/belajar/kursus/{lessons[0].course_id}/sertifikat/", {"nickname": "  Wati  "}
    )
    # then it gets one, with the nickname and nothing else about the learner
    assert response.status_code == 302
    certificate = Certificate.objects.get()
    assert response["Location"] == f"/belajar/sertifikat/{certificate.token}/"
    page = client.get(response["Location"])
    assert "Wati" in page.text and "Budidaya cabai" in page.text and certificate.token in page.text
    # and asking again gives the same one; anybody can check the code
    again = client.post(f"/belajar/kursus/{lessons[0].course_id}/sertifikat/", {"nickname": "X"})
    assert again["Location"] == response["Location"] and Certificate.objects.count() == 1
    check = client.get("/belajar/sertifikat/", {"kode": certificate.token.lower()})
    assert check.status_code == 302
    assert client.get("/belajar/sertifikat/", {"kode": "PALSU12345"}).status_code == 404


def test_no_certificate_for_an_unfinished_course_or_a_number_as_nickname(
    client, lessons, quiz, home
):
    # when a phone that finished nothing asks
    refused = client.post(f"/belajar/kursus/{lessons[0].course_id}/sertifikat/")
    # then nothing is issued
    assert refused.status_code == 400 and "Selesaikan semua pelajaran" in refused.text
    # given a finished course, when the nickname is a phone number
    finish_course(client, lessons, quiz)
    phone = client.post(
        f"/belajar/kursus/{lessons[0].course_id}/sertifikat/", {"nickname": "0812 3456 7890"}
    )
    # then it is refused
    assert phone.status_code == 400 and "tanpa nomor telepon" in phone.text
    assert not Certificate.objects.exists()


def test_the_pages_speak_english_when_chosen(client, settings, lessons, home):
    # given a phone that chose English with the language switch
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    # when
    listing = client.get("/belajar/")
    course = client.get(f"/belajar/kursus/{lessons[0].course_id}/")
    # then the app's own catalogue is used
    assert "Learn" in listing.text and "2 lessons" in listing.text
    assert "0 of 2 lessons done on this device." in course.text
