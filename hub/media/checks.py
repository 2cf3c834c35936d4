"""System checks of images: what breaks on a Pi whose Pillow was built without a codec."""

from django.core.checks import Error, register


@register()
def pillow_codecs_check(app_configs, **kwargs):
    from PIL import features

    errors = []
    for codec, needed_for in (("webp", "WebP renditions"), ("jpg", "JPEG photos"), ("zlib", "PNG")):
        if not features.check(codec):
            errors.append(
                Error(
                    f"Pillow lacks the {codec} codec, needed for {needed_for}.",
                    hint="Install Pillow from its wheel (it bundles the codecs) or the -dev "
                    "packages before building it.",
                    id="balai.E001",
                )
            )
    return errors
