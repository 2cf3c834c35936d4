"""The officials' side: the Pelayanan group reviews (masked lists, logged details, decisions);
an official of another group is refused; a letter type with a mistake is refused in the form."""

from django.urls import reverse

from egov.letters.models import LetterRequest, LetterType, LetterViewLog, RequestStatus

from .conftest import KK, NIK


def test_the_list_masks_nik_and_kk(official_client, submitted):
    # given a submitted request
    # when a Pelayanan official opens the list
    response = official_client.get(reverse("letter_requests:index"))
    html = response.content.decode()
    # then the request is listed with NIK and KK masked, and nothing is logged
    assert response.status_code == 200 and submitted.code in html
    assert "1503********0001" in html and NIK not in html and KK not in html
    assert not LetterViewLog.objects.exists()


def test_the_detail_shows_and_logs(official_client, official, submitted):
    # given a submitted request
    # when a Pelayanan official opens it
    response = official_client.get(reverse("letter_requests:detail", args=[submitted.pk]))
    # then the full NIK shows, and the view is logged with who and when
    assert response.status_code == 200 and NIK in response.content.decode()
    log = LetterViewLog.objects.get()
    assert (log.request_id, log.user, log.action) == (submitted.pk, official, "detail")
    # when they open a photo
    photo = submitted.photos.first()
    image = official_client.get(reverse("letter_requests:photo", args=[submitted.pk, photo.pk]))
    # then it is served to them (a JPEG) and logged
    assert image.status_code == 200 and image.content[:3] == b"\xff\xd8\xff"
    assert LetterViewLog.objects.filter(action="foto").count() == 1


def test_an_official_of_another_group_is_refused(client, editor, submitted):
    # given an Editors official (admin access, no letter permission)
    client.force_login(editor)
    photo = submitted.photos.first()
    # when they try the list, the detail, a photo and a decision
    responses = [
        client.get(reverse("letter_requests:index")),
        client.get(reverse("letter_requests:detail", args=[submitted.pk])),
        client.get(reverse("letter_requests:photo", args=[submitted.pk, photo.pk])),
        client.post(reverse("letter_requests:approve", args=[submitted.pk])),
    ]
    # then each is refused, nothing is logged and nothing changed
    assert [r.status_code for r in responses] == [403, 403, 403, 403]
    for response in responses:
        assert NIK not in response.content.decode()
    assert not LetterViewLog.objects.exists()
    assert LetterRequest.objects.get(pk=submitted.pk).status == RequestStatus.SUBMITTED


def test_an_anonymous_visitor_is_sent_to_login(client, submitted):
    response = client.get(reverse("letter_requests:detail", args=[submitted.pk]))
    assert response.status_code == 302 and "/admin/login/" in response["Location"]


def test_decisions_through_the_admin(official_client, submitted):
    # given a submitted request
    detail = reverse("letter_requests:detail", args=[submitted.pk])
    # when the official asks for a correction without a note
    official_client.post(reverse("letter_requests:ask_correction", args=[submitted.pk]))
    # then nothing changed and the page says why
    assert LetterRequest.objects.get(pk=submitted.pk).status == RequestStatus.SUBMITTED
    assert "wajib diisi" in official_client.get(detail).content.decode()
    # when they approve it
    response = official_client.post(reverse("letter_requests:approve", args=[submitted.pk]))
    # then it has a number and its PDF opens for printing (logged)
    assert response.status_code == 302
    approved = LetterRequest.objects.get(pk=submitted.pk)
    assert approved.status == RequestStatus.APPROVED and approved.number
    pdf = official_client.get(reverse("letter_requests:pdf", args=[submitted.pk]))
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    assert LetterViewLog.objects.filter(action="pdf").exists()
    # when they revoke it
    official_client.post(reverse("letter_requests:revoke", args=[submitted.pk]))
    # then the verification is revoked
    assert LetterRequest.objects.get(pk=submitted.pk).verification.status == "dicabut"


def test_a_type_with_an_unknown_placeholder_is_refused_in_the_admin(official_client):
    # given a Pelayanan official adding a letter type
    url = reverse("letter_types:add")
    data = {
        "code": "uji",
        "name": "Surat uji",
        "description": "",
        "klasifikasi": "470",
        "number_pattern": "470/{seq:03}/DS/{year}",
        "fields": "[]",
        "attachments": "[]",
        "body_template": "{nama} lahir di {tempat_lahir}.",
        "signer_name": "",
        "signer_position": "Kepala Desa",
        "active": "on",
        "sort_order": "1",
    }
    # when the body names a placeholder that does not exist
    response = official_client.post(url, data)
    # then the form says so and nothing is saved
    assert response.status_code == 200
    assert "tempat_lahir" in response.content.decode()
    assert not LetterType.objects.filter(code="uji").exists()
    # when the body is fixed
    data["body_template"] = "{nama} tinggal di {alamat}."
    response = official_client.post(url, data)
    # then it is saved
    assert response.status_code == 302
    assert LetterType.objects.filter(code="uji").exists()


def test_the_letter_admin_screens_show_no_english(official_client, submitted, sktm):
    # given a Pelayanan official, in the admin's default language (Indonesian)
    from tests.core.test_admin_language import assert_indonesian

    # when / then: each letters screen shows no string of Wagtail's English catalogue
    assert_indonesian(
        official_client,
        [
            reverse("letter_requests:index"),
            reverse("letter_requests:detail", args=[submitted.pk]),
            reverse("letter_types:index"),
            reverse("letter_types:add"),
            reverse("letter_types:edit", args=[sktm.pk]),
        ],
    )


def test_the_retention_runs_daily(db):
    # given a migrated hub
    from django_q.models import Schedule

    from egov.letters.tasks import RETENTION_SCHEDULE, letters_retention_task

    # when its schedules are read
    schedule = Schedule.objects.get(name=RETENTION_SCHEDULE)
    # then the retention task runs every day, and runs (nothing to do on an empty hub)
    assert schedule.func == "egov.letters.tasks.letters_retention_task"
    assert schedule.schedule_type == Schedule.DAILY and schedule.repeats == -1
    assert letters_retention_task() == {"photos": 0, "anonymised": 0, "forwards": 0}


def test_the_queue_rows_read_as_the_template_tags_wrote_them(official_client, submitted):
    # given a request submitted at a time whose local date differs from UTC's
    from datetime import UTC, datetime

    from django.template.defaultfilters import date as date_filter
    from django.utils import timezone

    when = datetime(2026, 3, 4, 18, 5, tzinfo=UTC)  # 5 March 01:05 in Jakarta
    LetterRequest.objects.filter(pk=submitted.pk).update(submitted_at=when)
    # when the official opens the queue
    html = official_client.get(reverse("letter_requests:index")).content.decode()
    # then the row links to the request's detail and shows the date as |date:"j M Y H:i" does,
    # in the hub's time zone, with the type's name and the status label
    detail = reverse("letter_requests:detail", args=[submitted.pk])
    assert f'<a href="{detail}">{submitted.code}</a>' in html
    local = timezone.localtime(when)
    assert f"<td>{date_filter(local, 'j M Y H:i')}</td>" in html and "5 Mar 2026 01:05" in html
    assert f"<td>{submitted.letter_type.name}</td>" in html
    assert str(RequestStatus.SUBMITTED.label) in html


def test_the_queue_pages_newest_first_and_filters_by_status(official_client, sktm):
    from datetime import UTC, datetime, timedelta

    # given 55 requests a minute apart, every fifth one rejected
    start = datetime(2026, 1, 1, tzinfo=UTC)
    LetterRequest.objects.bulk_create(
        LetterRequest(
            code=f"Q{i:04d}",
            letter_type=sktm,
            name=f"Warga {i}",
            nik=NIK,
            kk=KK,
            status=RequestStatus.REJECTED if i % 5 == 0 else RequestStatus.SUBMITTED,
        )
        for i in range(55)
    )
    for i in range(55):
        LetterRequest.objects.filter(code=f"Q{i:04d}").update(
            submitted_at=start + timedelta(minutes=i)
        )
    url = reverse("letter_requests:index")

    def codes(html):
        return [code for code in (f"Q{i:04d}" for i in range(55)) if f">{code}</a>" in html]

    # when the official opens the first and the second page
    first = official_client.get(url).content.decode()
    second = official_client.get(url, {"p": 2}).content.decode()
    # then the first shows the 50 newest, newest first, the second the 5 oldest
    assert codes(first) == [f"Q{i:04d}" for i in range(5, 55)]
    assert first.index(">Q0054<") < first.index(">Q0005<") and "1 / 2" in first
    assert codes(second) == [f"Q{i:04d}" for i in range(5)]
    # and the status filter shows only the rejected ones
    rejected = official_client.get(url, {"status": RequestStatus.REJECTED}).content.decode()
    assert codes(rejected) == [f"Q{i:04d}" for i in range(0, 55, 5)]
