"""The fast path of rich-text cleaning: a body already in canonical form is kept as it is
without parsing, and only when parsing it would have kept it as it is too."""

import random

import pytest

from hub.site.richtext import clean_by_parsing, clean_rich_text, is_canonical

ALPHABET = (
    "abcdefghijklmnopqrstuvwxyz ABCXYZ0123456789 .,;:!?-()/*+=%$#@[]{}|\\~`^_ \n\t"
    "\u00a0éèàüñçß€£¥©®\u2013\u2014\u2018\u2019\u201c\u201d\u2026\u200b\ufeff\u2028"
    "ăđơưạảấầẩẫậ한국어中文字日本語العربيةहिन्दी😀🌾"
)
ESCAPES = ("&amp;", "&lt;", "&gt;", "&quot;", "&#x27;")


def _text(rng: random.Random) -> str:
    parts = []
    for _ in range(rng.randint(0, 6)):
        if rng.random() < 0.15:
            parts.append(rng.choice(ESCAPES))
        else:
            parts.append("".join(rng.choice(ALPHABET) for _ in range(rng.randint(1, 12))))
    return "".join(parts)


def _inline(rng: random.Random, depth: int = 0) -> str:
    out = []
    for _ in range(rng.randint(0, 4)):
        roll = rng.random()
        if roll < 0.5 or depth > 2:
            out.append(_text(rng))
        elif roll < 0.65:
            out.append("<br/>")
        else:
            tag = rng.choice(("b", "i"))
            out.append(f"<{tag}>{_inline(rng, depth + 1)}</{tag}>")
    return "".join(out)


def canonical_document(rng: random.Random) -> str:
    """A random body of the canonical form (the grammar ``is_canonical`` accepts)."""
    out = []
    for _ in range(rng.randint(1, 6)):
        roll = rng.random()
        if roll < 0.1:
            out.append(_text(rng))
        elif roll < 0.15:
            out.append("<br/>")
        elif roll < 0.75:
            tag = rng.choice(("p", "p", "h2", "h3"))
            out.append(f"<{tag}>{_inline(rng)}</{tag}>")
        else:
            tag = rng.choice(("ul", "ol"))
            items = "".join(f"<li>{_inline(rng)}</li>" for _ in range(rng.randint(0, 4)))
            out.append(f"<{tag}>{items}</{tag}>")
    return "".join(out)


def test_every_canonical_body_is_one_the_parsing_cleaner_keeps_as_it_is():
    # given 3,000 random bodies of the canonical form (seeded), with escapes, non-ASCII text,
    # emoji, zero-width and line-separator characters, nested bold and italic, lists, breaks
    rng = random.Random(11)
    bodies = [canonical_document(rng) for _ in range(3000)]
    for body in bodies:
        # then the fast check accepts it, and the full cleaner returns it unchanged: skipping
        # the parse changes nothing
        assert is_canonical(body), body
        assert clean_by_parsing(body) == body, body


@pytest.mark.parametrize(
    "body",
    [
        "<script>alert(1)</script>",
        "<p>halo<script>alert(1)</script></p>",
        '<p onclick="steal()">halo</p>',
        "<p >halo</p>",
        '<a href="javascript:alert(1)">x</a>',
        "<p>a</p><iframe></iframe>",
        "<P>huruf besar</P>",
        "<p>tidak ditutup",
        "</p>tutup dulu<p>",
        "<p><p>bersarang</p></p>",
        "<b>tebal di luar paragraf</b>",
        "<li>butir tanpa daftar</li>",
        "<ul>teks di daftar<li>x</li></ul>",
        "<p>a</b></p>",
        '<p>kutip "mentah"</p>',
        "<p>a &nbsp; b</p>",
        "<p>a &amp b</p>",
        "<p>\x00nul</p>",
        "<p>cr\r\nlf</p>",
        "<hr/>",
        "<br>",
        "<strong>x</strong>",
        "<p><!-- komentar --></p>",
        "<![CDATA[x]]>",
    ],
)
def test_anything_outside_the_canonical_form_is_parsed_and_cleaned(body):
    # given a body outside the canonical form (markup the cleaner changes or may change)
    # then the fast check refuses it, and cleaning gives what the full cleaner gives
    assert not is_canonical(body)
    assert clean_rich_text(body) == clean_by_parsing(body)


def test_cleaning_a_cleaned_body_takes_the_fast_path():
    # given a body the full cleaner has cleaned (typed in raw, with an entity and quotes)
    cleaned = clean_by_parsing("<p>Rapat \"RT\" & 'RW'&nbsp;besok</p><script>x</script>")
    # then it is canonical: a hub receiving it does not parse it again
    assert cleaned == "<p>Rapat &quot;RT&quot; &amp; &#x27;RW&#x27;\u00a0besok</p>"
    assert is_canonical(cleaned)
    assert clean_rich_text(cleaned) == cleaned


def test_a_tag_whose_editor_feature_is_off_takes_the_slow_path(settings):
    # given an editor without headings or lists
    editors = {
        "default": {
            **settings.WAGTAILADMIN_RICH_TEXT_EDITORS["default"],
            "OPTIONS": {"features": ["bold", "italic", "link"]},
        }
    }
    settings.WAGTAILADMIN_RICH_TEXT_EDITORS = editors
    # then a heading is not canonical, and cleaning drops it as the parser does
    assert not is_canonical("<h2>judul</h2>")
    assert clean_rich_text("<h2>judul</h2>") == clean_by_parsing("<h2>judul</h2>")
    assert is_canonical("<p><b>tebal</b></p>")
