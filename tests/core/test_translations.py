"""The English catalogs (the msgids are the Indonesian strings in the code, docs/translating.md):
every string of the code collected and translated, none left fuzzy, and each compiled .mo
holding exactly what its .po translates. Untranslated, fuzzy or uncompiled, a string shows in
Indonesian on English pages."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import polib
import pytest

ROOT = Path(__file__).resolve().parents[2]
CATALOGS = sorted(
    path.relative_to(ROOT)
    for path in ROOT.glob("*/**/locale/en/LC_MESSAGES/django.po")
    if not path.relative_to(ROOT).parts[0].startswith((".", "data", "var", "tests"))
)


def test_every_app_with_strings_has_an_english_catalog():
    # the apps whose catalogs scripts/messages collects; a new app with strings adds its own
    apps = {str(path.parent.parent.parent.parent) for path in CATALOGS}
    assert {"hub", "elearning/courses", "elearning/library", "egov/letters"} <= apps, apps


@pytest.mark.parametrize("catalog", CATALOGS, ids=str)
def test_the_catalog_is_complete_and_compiled(catalog):
    po = polib.pofile(str(ROOT / catalog))
    # every entry translated, no msgmerge guess left to review
    assert [e.msgid for e in po.untranslated_entries()] == []
    assert [e.msgid for e in po.fuzzy_entries()] == []
    # the committed .mo is this .po compiled
    mo = polib.mofile(str((ROOT / catalog).with_suffix(".mo")))
    compiled = {(e.msgctxt, e.msgid, e.msgstr, tuple(sorted(e.msgstr_plural.items()))) for e in mo}
    written = {
        (e.msgctxt, e.msgid, e.msgstr, tuple(sorted(e.msgstr_plural.items())))
        for e in po.translated_entries()
    }
    assert written - compiled == set(), "run scripts/messages compile"


def test_every_string_of_the_code_is_in_a_catalog_and_translated(tmp_path):
    # given a copy of the tracked tree (no tests), as scripts/messages collects it
    if shutil.which("xgettext") is None:
        pytest.fail("xgettext is missing: Debian's gettext package (scripts/test installs it)")
    tracked = subprocess.run(
        ["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True
    ).stdout.split(b"\0")
    for name in filter(None, (n.decode() for n in tracked)):
        if name.startswith("tests/") or not (ROOT / name).is_file():
            continue
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / name, tmp_path / name)
    # when the strings are collected again
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "hub.settings.test",
        "HUB_DATA_DIR": str(tmp_path / "data"),
        "PYTHONPATH": str(tmp_path),
    }
    subprocess.run(
        [sys.executable, "-m", "django", "makemessages", "-l", "en", "--add-location=file",
         "--ignore=data/*", "--ignore=var/*", "-v0"],
        cwd=tmp_path, env=env, check=True, capture_output=True, timeout=120,
    )  # fmt: skip
    # then every catalog still has every entry translated, none fuzzy: no string of the code
    # is missing from the committed catalogs or changed since it was translated
    for catalog in CATALOGS:
        po = polib.pofile(str(tmp_path / catalog))
        missing = [e.msgid for e in po.untranslated_entries() + po.fuzzy_entries()]
        assert missing == [], f"{catalog}: run scripts/messages and translate {missing}"
