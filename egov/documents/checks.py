"""System checks of legal documents: what breaks on a hub that lacks it."""

import shutil

from django.core.checks import Warning, register


@register()
def pdftoppm_installed(app_configs, **kwargs):
    """The first-page previews are rendered by poppler's pdftoppm (Debian poppler-utils): without
    it documents still show and open, but with no preview image."""
    if shutil.which("pdftoppm"):
        return []
    return [
        Warning(
            "pdftoppm is not installed: legal documents get no first-page preview.",
            hint="Install the Debian package poppler-utils (the hub_host Ansible role does).",
            id="egov_documents.W001",
        )
    ]
