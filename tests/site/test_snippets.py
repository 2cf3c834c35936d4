"""Announcements and agenda edited as Wagtail snippets, and rich text that tries a script."""

import json

import pytest
from django.utils import timezone

from hub.site.models import AgendaItem, Announcement

pytestmark = pytest.mark.django_db

ADD_URL = "/admin/snippets/site/announcement/add/"


def contentstate(text: str) -> str:
    """The Draftail editor's POST value for one paragraph of ``text``."""
    return json.dumps(
        {
            "blocks": [
                {
                    "key": "a1b2c",
                    "type": "unstyled",
                    "depth": 0,
                    "text": text,
                    "inlineStyleRanges": [],
                    "entityRanges": [],
                }
            ],
            "entityMap": {},
        }
    )


def announcement_form(**overrides):
    now = timezone.localtime()
    data = {
        "title": "Kerja bakti hari Minggu",
        "category": "sosial",
        "body": contentstate("Bawa cangkul."),
        "image": "",
        "publish_at": now.strftime("%Y-%m-%d %H:%M"),
        "expires_at": "",
    }
    data.update(overrides)
    return data


def test_editor_creates_an_announcement_with_a_uuid(editor_client):
    # when an editor submits the snippet form
    response = editor_client.post(ADD_URL, announcement_form())
    # then it is saved with a UUID primary key and its rich text
    assert response.status_code == 302, response.content.decode()[:2000]
    announcement = Announcement.objects.get()
    assert len(str(announcement.pk)) == 36
    assert "Bawa cangkul." in announcement.body


def test_script_typed_into_the_editor_is_only_text(editor_client):
    # given an editor who types a script tag into the rich-text editor
    form = announcement_form(body=contentstate("<script>alert('x')</script>"))
    # when
    editor_client.post(ADD_URL, form)
    # then it is stored escaped, never as a tag
    body = Announcement.objects.get().body
    assert "<script" not in body
    assert "&lt;script&gt;" in body


def test_raw_html_with_script_is_cleaned_when_validated():
    # given HTML from outside the editor (an import, later the sync path)
    announcement = Announcement(
        title="Impor",
        body='<p onclick="steal()">Halo <a href="javascript:alert(1)">tautan</a></p>'
        "<script>alert(1)</script><iframe src='//evil'></iframe><b>tebal</b>",
        publish_at=timezone.now(),
    )
    # when
    announcement.full_clean()
    announcement.save()
    # then scripts, handlers, frames and javascript: links are gone, safe markup stays
    body = Announcement.objects.get().body
    assert "script" not in body and "alert" not in body
    assert "onclick" not in body and "iframe" not in body and "javascript:" not in body
    assert "<b>tebal</b>" in body
    assert "Halo" in body


def test_expiry_before_publish_is_refused_and_nothing_saved(editor_client):
    now = timezone.localtime()
    response = editor_client.post(
        ADD_URL,
        announcement_form(
            publish_at=now.strftime("%Y-%m-%d %H:%M"),
            expires_at=(now - timezone.timedelta(days=1)).strftime("%Y-%m-%d %H:%M"),
        ),
    )
    assert response.status_code == 200
    assert "Waktu berakhir harus sesudah waktu terbit." in response.content.decode()
    assert not Announcement.objects.exists()


def test_agenda_end_before_start_is_refused(editor_client):
    now = timezone.localtime()
    response = editor_client.post(
        "/admin/snippets/site/agendaitem/add/",
        {
            "title": "Musdes",
            "category": "pemerintahan",
            "starts_at": (now + timezone.timedelta(days=2)).strftime("%Y-%m-%d %H:%M"),
            "ends_at": (now + timezone.timedelta(days=1)).strftime("%Y-%m-%d %H:%M"),
            "place": "Balai",
            "body": contentstate("Rapat"),
            "image": "",
            "publish_at": now.strftime("%Y-%m-%d %H:%M"),
            "expires_at": "",
        },
    )
    assert response.status_code == 200
    assert "Waktu selesai tidak boleh sebelum mulai." in response.content.decode()
    assert not AgendaItem.objects.exists()


def test_oversized_request_body_is_refused(editor_client):
    # a form body beyond DATA_UPLOAD_MAX_MEMORY_SIZE (2 MB) is refused before it is parsed
    response = editor_client.post(
        ADD_URL, announcement_form(body=contentstate("x" * (3 * 1024 * 1024)))
    )
    assert response.status_code == 400
    assert not Announcement.objects.exists()


@pytest.mark.django_db
def test_a_notice_from_the_upstream_cannot_be_edited_or_deleted_here(admin_client, village):
    from hub.site.models import Announcement
    from hub.sync.core.journal import applying

    # given an announcement that came down from the province (origin 15)
    notice = Announcement(title="Dari provinsi", origin="15", rev=3)
    with applying():
        notice.save()
    edit_url = f"/admin/snippets/site/announcement/edit/{notice.pk}/"
    # when an official tries to change it
    response = admin_client.post(edit_url, {"title": "Diubah di desa", "category": "umum"})
    # then the form refuses with a clear message and nothing changed
    assert response.status_code == 200
    assert "hanya dapat diubah di sana" in response.content.decode()
    notice.refresh_from_db()
    assert notice.title == "Dari provinsi" and notice.rev == 3
    # when they try to delete it
    response = admin_client.post(f"/admin/snippets/site/announcement/delete/{notice.pk}/")
    # then it is refused and still there
    assert response.status_code == 302
    assert Announcement.objects.filter(pk=notice.pk).exists()
