"""with_renditions(): the renditions of a page's images in one query, from a queryset or rows."""

import pytest
from wagtail.images import get_image_model

from hub.media.renditions import rendition_filters
from hub.media.selectors import with_renditions
from hub.media.tasks import image_renditions_task
from hub.site.models import Announcement

pytestmark = pytest.mark.django_db


def _made(make_image, title):
    image = make_image(title=title)
    image_renditions_task(image.pk)
    return image


def test_images_loaded_get_their_renditions_of_one_size_in_one_query(
    make_image, django_assert_num_queries
):
    # given two images with every rendition made, and a missing one
    images = [_made(make_image, "a"), _made(make_image, "b"), None]
    images = [get_image_model().objects.get(pk=i.pk) if i else None for i in images]
    # when the thumbnails are fetched
    with django_assert_num_queries(1):
        rows = with_renditions(images, "thumb")
    # then only the thumbnails came, and finding them asks nothing more
    assert len(rows) == 2
    with django_assert_num_queries(0):
        for image in rows:
            found = image.find_existing_renditions(*rendition_filters("thumb"))
            assert len(found) == 2
            assert {r.filter_spec for r in image.renditions.all()} == {
                f.spec for f in rendition_filters("thumb")
            }


def test_a_queryset_gets_the_renditions_of_its_image_field(
    make_image, announcement_factory, django_assert_num_queries
):
    # given two announcements with images
    for title in ("a", "b"):
        announcement_factory(title=title, image=_made(make_image, title))
    # when they are read with their full-size renditions
    queryset = with_renditions(Announcement.objects.all(), "full", through="image")
    # then two queries bring the rows with their images joined, and the renditions; rendering
    # asks nothing more
    with django_assert_num_queries(2):
        rows = list(queryset)
        for row in rows:
            assert len(row.image.find_existing_renditions(*rendition_filters("full"))) == 3


def test_nothing_to_fetch_asks_nothing(django_assert_num_queries):
    with django_assert_num_queries(0):
        assert with_renditions([None], "logo") == []
