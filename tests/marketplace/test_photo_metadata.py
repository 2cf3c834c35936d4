"""Images stored before uploads were stripped: images_strip_metadata cleans the ones this hub
owns (a marketplace product is the synced record showing them here)."""

import hashlib
import io

from PIL import Image
from wagtail.images import get_image_model

from hub.media.metadata import carried_metadata
from hub.media.renditions import all_rendition_filters
from tests.media.test_metadata import assert_clean_and_upright, phone_photo


def stored_with_metadata(title: str):
    """An image as hubs stored them before stripping: the phone's file as it came."""
    from django.core.files.base import ContentFile

    image = get_image_model()(title=title)
    image.file.save(f"{title}.jpg", ContentFile(phone_photo()), save=False)
    image.width, image.height = 40, 20
    image._set_image_file_metadata()
    image.save()
    return image


def test_images_stored_before_stripping_are_cleaned_once_and_their_records_sync_again(
    product_factory, village
):
    from django.core.management import call_command

    from hub.sync.core.journal import applying
    from hub.sync.models import JournalEntry
    from marketplace.models import Product

    # given an old photo with GPS on a product of this village, with a rendition made from it
    old = stored_with_metadata("lama")
    old_sha = old.sha256
    product = product_factory(photo_1=old)
    old.create_renditions(*all_rendition_filters()[:1])
    rev_before = Product.objects.get(pk=product.pk).rev
    # and one shown by a record another hub owns (it came by sync: that hub strips it)
    theirs = stored_with_metadata("milik-desa-lain")
    with applying():
        Product.objects.create(
            origin="1503012001",
            rev=1,
            bumdes=product.bumdes,
            name="Tikar",
            slug="tikar",
            price=1000,
            unit="lembar",
            photo_1=theirs,
        )
    # when the command runs (first as a dry run, which changes nothing)
    out = io.StringIO()
    call_command("images_strip_metadata", "--dry-run", stdout=out)
    assert "1 images stripped" in out.getvalue()
    assert get_image_model().objects.get(pk=old.pk).sha256 == old_sha
    call_command("images_strip_metadata", stdout=io.StringIO())
    # then the village's own photo is clean, rehashed, its renditions dropped, and the product
    # saved again (a new rev in the journal) so the clean file syncs under its new hash
    image = get_image_model().objects.get(pk=old.pk)
    with image.file.open("rb") as handle:
        stored = handle.read()
    assert_clean_and_upright(stored)
    assert image.sha256 == hashlib.sha256(stored).hexdigest() != old_sha
    assert (image.width, image.height) == (20, 40)
    assert not image.renditions.exists()
    product = Product.objects.get(pk=product.pk)
    assert product.rev > rev_before
    assert JournalEntry.objects.filter(uid=product.pk, rev=product.rev).exists()
    # the other hub's photo is left as its hash names it
    with get_image_model().objects.get(pk=theirs.pk).file.open("rb") as handle:
        assert carried_metadata(Image.open(handle))
    # and a second run changes nothing
    out = io.StringIO()
    call_command("images_strip_metadata", stdout=out)
    assert "0 images stripped" in out.getvalue()
