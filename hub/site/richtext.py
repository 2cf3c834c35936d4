"""Rich text arriving from outside the Draftail editor (imports, sync, the ORM) is cleaned to the
same rules the editor enforces, so a ``<script>`` can never reach a villager's page."""

from bs4 import BeautifulSoup
from django.conf import settings
from wagtail.admin.rich_text.converters.editor_html import EditorHTMLConverter

# Elements whose *content* must go too, not just the tag (the whitelister unwraps unknown tags).
DROPPED_WITH_CONTENT = ("script", "style", "iframe", "object", "embed", "template", "noscript")


def _features() -> list[str]:
    return settings.WAGTAILADMIN_RICH_TEXT_EDITORS["default"]["OPTIONS"]["features"]


def clean_rich_text(html: str) -> str:
    if not html:
        return html
    soup = BeautifulSoup(html, "html.parser")
    for tag in soup.find_all(DROPPED_WITH_CONTENT):
        tag.decompose()
    return EditorHTMLConverter(features=_features()).to_database_format(str(soup))
