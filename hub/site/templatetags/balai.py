"""Template tags for villager pages."""

from urllib.parse import quote

from django import template
from django.utils.html import format_html

from hub.core.regions import format_village_code
from hub.media.renditions import rendition_filters

register = template.Library()

FULL_SIZES = "(min-width: 42rem) 40rem, 100vw"
# Sizes shown at one size on every phone, with a 2x rendition for sharp screens: the box of the
# placeholder while the renditions are made.
FIXED_SIZES = {"thumb": (160, 120), "logo": (64, 64)}


def _placeholder(width: int, height: int, alt: str, css_class: str):
    svg = (
        f"<svg xmlns='http://www.w3.org/2000/svg' viewBox='0 0 {width} {height}'>"
        "<rect width='100%' height='100%' fill='#e8efe9'/></svg>"
    )
    return format_html(
        '<img class="{} ph" src="{}" width="{}" height="{}" alt="{}">',
        css_class,
        "data:image/svg+xml," + quote(svg, safe=""),
        width,
        height,
        alt,
    )


@register.simple_tag
def balai_image_url(image, size="full"):
    """The URL of the largest existing rendition of ``size``, or "" while none exists: for
    attributes that take one URL (a video's poster). Never the original, which villagers are
    not served (``hub.media.metadata``), and never makes a rendition."""
    if image is None:
        return ""
    filters = rendition_filters(size)
    found = image.find_existing_renditions(*filters)
    renditions = sorted(found.values(), key=lambda r: r.width)
    return renditions[-1].url if renditions else ""


@register.simple_tag
def balai_image(image, size="full", alt=None, css_class="pic"):
    """An image from renditions that already exist; a light placeholder while they are made.

    Never creates a rendition: that is the background task's job, so a villager's request never
    waits on Pillow. ``size`` is ``full`` (srcset of phone widths), ``thumb`` (list cards) or
    ``logo`` (the village logo in the header).
    """
    if image is None:
        return ""
    alt = image.default_alt_text if alt is None else alt
    filters = rendition_filters(size)
    found = image.find_existing_renditions(*filters)
    renditions = [found[f] for f in filters if f in found]
    if size in FIXED_SIZES:
        one_x, two_x = (found.get(f) for f in filters)
        if one_x is None:
            return _placeholder(*FIXED_SIZES[size], alt, css_class)
        srcset = f"{one_x.url} 1x, {two_x.url} 2x" if two_x else f"{one_x.url} 1x"
        return format_html(
            '<img class="{}" src="{}" srcset="{}" width="{}" height="{}" alt="{}" '
            'loading="lazy" decoding="async">',
            css_class,
            one_x.url,
            srcset,
            one_x.width,
            one_x.height,
            alt,
        )
    if not renditions:
        # Keep the original's proportions so the page does not jump when the picture arrives.
        width = min(image.width, 720) or 720
        height = round(image.height * width / image.width) if image.width else 480
        return _placeholder(width, height, alt, css_class)
    seen = {}
    for rendition in renditions:
        seen.setdefault(rendition.width, rendition)
    ordered = [seen[w] for w in sorted(seen)]
    smallest = ordered[0]
    srcset = ", ".join(f"{r.url} {r.width}w" for r in ordered)
    return format_html(
        '<img class="{}" src="{}" srcset="{}" sizes="{}" width="{}" height="{}" alt="{}" '
        'loading="lazy" decoding="async">',
        css_class,
        smallest.url,
        srcset,
        FULL_SIZES,
        smallest.width,
        smallest.height,
        alt,
    )


@register.filter
def village_code(code: str) -> str:
    return format_village_code(code or "")
