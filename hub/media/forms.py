"""The admin's image form, hardened for a Pi."""

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image as PILImage
from wagtail.images.fields import WagtailImageField
from wagtail.images.forms import BaseImageForm

from hub.core.disk import disk_space_require

from .metadata import strip_metadata


class BoundedPixelsImageField(WagtailImageField):
    """Refuses an image by the size its header claims, whatever that size is, and hands on
    an accepted upload without its metadata (GPS position, camera; orientation applied,
    ``hub.media.metadata``), so the stored original and its hashes are of the clean file.

    Wagtail compares the header's pixel count with WAGTAILIMAGES_MAX_IMAGE_PIXELS, but Pillow
    itself raises DecompressionBombError while reading a header beyond twice its own limit
    (e.g. a 30000x30000 PNG), which Wagtail does not catch: the upload ended in a server error
    instead of a message.
    """

    def check_image_pixel_size(self, f):
        try:
            super().check_image_pixel_size(f)
        except PILImage.DecompressionBombError as exc:
            raise ValidationError(
                self.error_messages["file_too_many_pixels"]
                % {"num_pixels": "?", "max_pixels_count": self.max_image_pixels},
                code="file_too_many_pixels",
            ) from exc

    def to_python(self, data):
        f = super().to_python(data)
        if f is None:
            return None
        clean = strip_metadata(f)
        if clean is None:
            return f
        stripped = SimpleUploadedFile(f.name, clean, content_type=f.content_type)
        stripped.image = f.image
        return stripped


class BalaiImageForm(BaseImageForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "file" in self.fields and type(self.fields["file"]) is WagtailImageField:
            self.fields["file"].__class__ = BoundedPixelsImageField

    def clean(self):
        cleaned = super().clean()
        if self.files:
            # a new file on a nearly full card: refuse with a message, before it is written
            disk_space_require(ValidationError)
        return cleaned
