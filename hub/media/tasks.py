"""Background tasks of images, run by the django-q2 cluster."""

from .services import image_renditions_create


def image_renditions_task(image_id: int) -> int:
    """Make the phone-size WebP renditions of one image. Returns how many exist afterwards."""
    return image_renditions_create(image_id=image_id)
