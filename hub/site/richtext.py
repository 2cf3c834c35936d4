"""Rich text arriving from outside the Draftail editor (imports, sync, the ORM) is cleaned to the
same rules the editor enforces, so a ``<script>`` can never reach a villager's page.

Cleaning parses the HTML twice (BeautifulSoup, then Wagtail's whitelister): ~0.7 ms for an
announcement of three paragraphs, most of what applying a synced record costs. Most bodies are
already clean (the sending hub cleaned them when they were saved), so :func:`is_canonical` first
checks, with one regular expression and a scan of the tags, whether the body is in a narrow form
the cleaner is known to return unchanged (paragraphs, headings, lists, bold, italic, line breaks,
no attributes, text escaped as the cleaner escapes it); only a body outside that form is parsed.
``tests/site/test_richtext.py`` checks that cleaning any body of that form returns it unchanged.
"""

import functools
import re

from bs4 import BeautifulSoup
from django.conf import settings
from wagtail.admin.rich_text.converters.editor_html import EditorHTMLConverter

# Elements whose *content* must go too, not just the tag (the whitelister unwraps unknown tags).
DROPPED_WITH_CONTENT = ("script", "style", "iframe", "object", "embed", "template", "noscript")

# The canonical form: tags without attributes, ``<br/>``, the five escapes the cleaner writes,
# and text with no markup characters and no control characters but newline and tab.
_TOKENS = re.compile(
    r"(?:<(?:/?(?:p|h2|h3|b|i|ol|ul|li))>|<br/>|&(?:amp|lt|gt|quot|#x27);"
    r"|[^<>&\"'\x00-\x08\x0b-\x1f\x7f-\x9f])*"
)
_TAGS = re.compile(r"<(/?)([a-z0-9]+)/?>")
# the editor feature that allows each tag; p and br are always allowed
_TAG_FEATURE = {"h2": "h2", "h3": "h3", "b": "bold", "i": "italic", "ol": "ol", "ul": "ul"}
BLOCKS = frozenset({"p", "h2", "h3", "ol", "ul"})
INLINE = frozenset({"b", "i"})
# where each tag may open (None: at the top level)
_PARENTS = {
    **{tag: frozenset({None}) for tag in BLOCKS},
    "li": frozenset({"ol", "ul"}),
    **{tag: frozenset({"p", "h2", "h3", "li", "b", "i"}) for tag in INLINE},
    "br": frozenset({None, "p", "h2", "h3", "li", "b", "i"}),
}
# containers whose direct content is elements only (text there goes the slow way)
_NO_TEXT = frozenset({"ol", "ul"})


def _features() -> list[str]:
    return settings.WAGTAILADMIN_RICH_TEXT_EDITORS["default"]["OPTIONS"]["features"]


@functools.cache
def _allowed_tags(features: tuple[str, ...]) -> frozenset[str]:
    allowed = {"p", "br"}
    allowed.update(tag for tag, feature in _TAG_FEATURE.items() if feature in features)
    if {"ol", "ul"} & allowed:
        allowed.add("li")
    return frozenset(allowed)


def is_canonical(html: str) -> bool:
    """True when ``html`` is in the narrow form :func:`clean_rich_text` returns unchanged: only
    allowed tags (by the editor's features), no attributes, properly nested, text escaped."""
    if _TOKENS.fullmatch(html) is None:
        return False
    allowed = _allowed_tags(tuple(_features()))
    stack: list[str] = []
    position = 0
    for match in _TAGS.finditer(html):
        closing, tag = match.group(1), match.group(2)
        if tag not in allowed:
            return False
        text = html[position : match.start()]
        if text and stack and stack[-1] in _NO_TEXT:
            return False
        position = match.end()
        if closing:
            if not stack or stack.pop() != tag:
                return False
        elif (stack[-1] if stack else None) not in _PARENTS[tag]:
            return False
        elif tag != "br":
            stack.append(tag)
    return not stack


def clean_rich_text(html: str) -> str:
    if not html or is_canonical(html):
        return html
    return clean_by_parsing(html)


def clean_by_parsing(html: str) -> str:
    """The full cleaning, whatever the body (what :func:`clean_rich_text` does when the body is
    not already canonical)."""
    soup = BeautifulSoup(html, "html.parser")
    for tag in soup.find_all(DROPPED_WITH_CONTENT):
        tag.decompose()
    return EditorHTMLConverter(features=_features()).to_database_format(str(soup))
