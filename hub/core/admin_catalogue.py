"""The Indonesian catalogue of the Wagtail and Django admin (docs/translating.md).

Wagtail's own Indonesian catalogue (``id_ID`` in each Wagtail app) translates about a third of
the admin, so a village clerk met English on most screens. Balai keeps the missing translations
in one project-maintained file, ``hub/locale/id/wagtail-admin.po``: one entry per msgid, its
``#:`` lines naming the package catalogue(s) it comes from, so the file can be offered upstream
to Wagtail's translators. This tool:

``missing``   lists the admin msgids that neither Wagtail nor Balai translates;
``update``    adds those msgids (empty) to ``wagtail-admin.po`` and refreshes the source lines;
``build``     merges the translated entries into ``hub/locale/id/LC_MESSAGES/django.po`` and
              ``djangojs.po`` and compiles them (``msgfmt --check``);
``coverage``  prints the share of Wagtail's admin catalogue shown in Indonesian, before
              (Wagtail alone) and after (with Balai's translations); ``--min`` makes it a gate.

``LOCALE_PATHS`` catalogues win over the packages', so the built ``django.po`` both fills the
gaps and, where ``wagtail-admin.po`` says so, replaces a Wagtail wording to keep one term for one
thing (e.g. "Draf", not both "Konsep" and "Draf"). The project's own msgids are Indonesian and
live only in ``hub/locale/en``; ``build`` refuses an entry whose msgid is also one of them with a
different Indonesian text, since it would change the project's Indonesian pages.

Run: ``.venv/bin/python -m hub.core.admin_catalogue {missing,update,build,coverage}``.
"""

import argparse
import importlib.util
import shutil
import subprocess
import sys
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import polib

ROOT = Path(__file__).resolve().parents[2]
LOCALE_DIR = ROOT / "hub" / "locale"
SOURCE_PO = LOCALE_DIR / "id" / "wagtail-admin.po"
PROJECT_PO = LOCALE_DIR / "en" / "LC_MESSAGES" / "django.po"
DOMAINS = ("django", "djangojs")

# The Wagtail apps whose strings the admin shows and that Balai installs (hub/settings/base.py);
# tests/core/test_admin_language.py fails when an installed wagtail app with a catalogue is
# missing here. Coverage is measured over these.
WAGTAIL_APPS = (
    "wagtail",
    "wagtail.admin",
    "wagtail.images",
    "wagtail.documents",
    "wagtail.snippets",
    "wagtail.users",
    "wagtail.sites",
    "wagtail.search",
    "wagtail.contrib.settings",
    "wagtail.contrib.table_block",
    "wagtail.contrib.routable_page",
)
# Other catalogues whose strings appear in the admin (form errors, the tag field, password
# rules): their gaps are filled too, but they do not count in Wagtail's coverage.
OTHER_APPS = (
    "django",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "taggit",
)
# Wagtail ships its Indonesian as id_ID, Django as id; gettext reads both for "id".
UPSTREAM_LOCALES = ("id", "id_ID")

HEADER = {
    "Project-Id-Version": "Balai (Wagtail and Django admin)",
    "Report-Msgid-Bugs-To": "",
    "PO-Revision-Date": "2026-12-02 12:00+0700",
    "Last-Translator": "Balai developers",
    "Language-Team": "Indonesian",
    "Language": "id",
    "MIME-Version": "1.0",
    "Content-Type": "text/plain; charset=UTF-8",
    "Content-Transfer-Encoding": "8bit",
    "Plural-Forms": "nplurals=1; plural=0;",
}
BUILT_HEADER = (
    "Indonesian for the Wagtail and Django admin, built from hub/locale/id/wagtail-admin.po by\n"
    "python -m hub.core.admin_catalogue build. Do not edit: edit wagtail-admin.po and rebuild."
)
SOURCE_HEADER = (
    "Indonesian translations of Wagtail (and Django) admin strings that the packages' own id /\n"
    "id_ID catalogues lack, kept by Balai so they can be offered upstream (Transifex).\n"
    "Each '#:' line names the package catalogue the msgid comes from. Update with\n"
    "python -m hub.core.admin_catalogue update, then build (docs/translating.md)."
)

Key = tuple[str, str | None, str]  # (domain, msgctxt, msgid)


@dataclass(frozen=True)
class SourceEntry:
    """One msgid of one package catalogue, with whether the package translates it."""

    app: str
    domain: str
    reference: str  # the English catalogue's path below site-packages
    entry: polib.POEntry
    translated_upstream: bool

    @property
    def key(self) -> Key:
        return (self.domain, self.entry.msgctxt, self.entry.msgid)


def locale_dir(app: str) -> Path | None:
    """The locale directory of an installed package (Django's own lives in django/conf)."""
    spec = importlib.util.find_spec(app)
    if spec is None or not spec.submodule_search_locations:
        return None
    package = Path(next(iter(spec.submodule_search_locations)))
    path = package / "conf" / "locale" if app == "django" else package / "locale"
    return path if path.is_dir() else None


def _translated(entry: polib.POEntry) -> bool:
    return entry.translated() and not entry.obsolete


def source_entries(apps: Iterable[str]) -> Iterator[SourceEntry]:
    """Every msgid of the apps' English catalogues, marked translated where id/id_ID has it."""
    for app in apps:
        base = locale_dir(app)
        if base is None:
            continue
        site_packages = base.parents[app.count(".") + (2 if app == "django" else 1)]
        for domain in DOMAINS:
            english = base / "en" / "LC_MESSAGES" / f"{domain}.po"
            if not english.exists():
                continue
            upstream: set[tuple[str | None, str]] = set()
            for name in UPSTREAM_LOCALES:
                path = base / name / "LC_MESSAGES" / f"{domain}.po"
                if path.exists():
                    upstream |= {
                        (e.msgctxt, e.msgid) for e in polib.pofile(str(path)) if _translated(e)
                    }
            reference = english.relative_to(site_packages).as_posix()
            for entry in polib.pofile(str(english)):
                if entry.obsolete or not entry.msgid:
                    continue
                done = (entry.msgctxt, entry.msgid) in upstream
                yield SourceEntry(app, domain, reference, entry, done)


def _key_of(entry: polib.POEntry) -> tuple[str | None, str]:
    return (entry.msgctxt, entry.msgid)


def domains_of(entry: polib.POEntry) -> set[str]:
    """The gettext domains an entry of wagtail-admin.po belongs to, from its '#:' lines."""
    return {Path(path).stem for path, _line in entry.occurrences}


def load_source(path: Path = SOURCE_PO) -> polib.POFile:
    if path.exists():
        return polib.pofile(str(path), wrapwidth=99)
    po = polib.POFile(wrapwidth=99)
    po.header = SOURCE_HEADER
    po.metadata = dict(HEADER)
    return po


def balai_translations(po: polib.POFile) -> set[Key]:
    """The (domain, msgctxt, msgid) keys that wagtail-admin.po translates."""
    return {
        (d, e.msgctxt, e.msgid)
        for e in po
        if _translated(e) and "fuzzy" not in e.flags
        for d in domains_of(e)
    }


@dataclass(frozen=True)
class Coverage:
    total: int
    upstream: int
    combined: int

    @staticmethod
    def percent(part: int, total: int) -> float:
        return 100.0 * part / total if total else 100.0

    @property
    def before(self) -> float:
        return self.percent(self.upstream, self.total)

    @property
    def after(self) -> float:
        return self.percent(self.combined, self.total)


def coverage(po: polib.POFile | None = None) -> Coverage:
    """The share of the entries of Wagtail's admin catalogues shown in Indonesian."""
    ours = balai_translations(po if po is not None else load_source())
    entries = list(source_entries(WAGTAIL_APPS))
    upstream = sum(e.translated_upstream for e in entries)
    combined = sum(e.translated_upstream or e.key in ours for e in entries)
    return Coverage(len(entries), upstream, combined)


def missing(po: polib.POFile | None = None, apps: Iterable[str] = WAGTAIL_APPS + OTHER_APPS):
    """Entries of the package catalogues that neither the package nor Balai translates."""
    ours = balai_translations(po if po is not None else load_source())
    return [e for e in source_entries(apps) if not e.translated_upstream and e.key not in ours]


def update(po: polib.POFile) -> tuple[int, int]:
    """Adds every untranslated admin msgid to ``po`` and rewrites the source lines.

    Returns (added, obsolete): entries that no package catalogue has any more are marked
    obsolete (kept as ``#~`` so a translation is not lost if the string comes back).
    """
    references: dict[tuple[str | None, str], set[str]] = {}
    samples: dict[tuple[str | None, str], polib.POEntry] = {}
    for source in source_entries(WAGTAIL_APPS + OTHER_APPS):
        key = _key_of(source.entry)
        existing = po.find(source.entry.msgid, msgctxt=source.entry.msgctxt)
        if source.translated_upstream and existing is None:
            continue
        references.setdefault(key, set()).add(source.reference)
        samples.setdefault(key, source.entry)
    added = 0
    for key, refs in references.items():
        entry = po.find(key[1], msgctxt=key[0])
        if entry is None:
            sample = samples[key]
            entry = polib.POEntry(msgctxt=sample.msgctxt, msgid=sample.msgid, msgstr="")
            if sample.msgid_plural:
                entry.msgid_plural = sample.msgid_plural
                entry.msgstr_plural = {0: ""}
            entry.flags = [f for f in sample.flags if f.endswith("-format")]
            po.append(entry)
            added += 1
        entry.occurrences = [(ref, "") for ref in sorted(refs)]
    obsolete = 0
    for entry in po:
        if not entry.obsolete and _key_of(entry) not in references:
            entry.obsolete = True
            obsolete += 1
    return added, obsolete


def _wagtail_msgid_in_an_override(entry: polib.POEntry) -> bool:
    """An English Wagtail msgid that a template of ours overriding Wagtail's keeps (the
    dashboard's "Search"): Wagtail's string, translated here, not one of the project's."""
    return (
        bool(entry.occurrences)
        and all(f.startswith("hub/templates/wagtailadmin/") for f, _line in entry.occurrences)
        and entry.msgstr == entry.msgid
    )


def project_msgids(path: Path = PROJECT_PO) -> set[tuple[str | None, str]]:
    """The project's own (Indonesian) msgids, from the English catalogue."""
    if not path.exists():
        return set()
    return {
        _key_of(e)
        for e in polib.pofile(str(path))
        if not e.obsolete and not _wagtail_msgid_in_an_override(e)
    }


def collisions(po: polib.POFile) -> list[str]:
    """msgids shared with the project whose Indonesian text the built catalogue would change."""
    ours = project_msgids()
    return [
        e.msgid
        for e in po
        if _translated(e) and _key_of(e) in ours and not e.msgid_plural and e.msgstr != e.msgid
    ]


def build(po: polib.POFile, out_dir: Path = LOCALE_DIR / "id" / "LC_MESSAGES") -> dict[str, Path]:
    """Writes and compiles one catalogue per domain from the translated entries of ``po``."""
    clashes = collisions(po)
    if clashes:
        raise SystemExit(
            "msgids shared with the project's Indonesian strings: " + ", ".join(clashes)
        )
    out_dir.mkdir(parents=True, exist_ok=True)
    written = {}
    for domain in DOMAINS:
        built = polib.POFile(wrapwidth=99)
        built.header = BUILT_HEADER
        built.metadata = dict(po.metadata)
        entries = [
            e for e in po if _translated(e) and "fuzzy" not in e.flags and domain in domains_of(e)
        ]
        for entry in sorted(entries, key=lambda e: (e.msgctxt or "", e.msgid)):
            built.append(entry)
        path = out_dir / f"{domain}.po"
        built.save(str(path))
        compile_mo(path)
        written[domain] = path
    return written


def compile_mo(path: Path) -> None:
    """Compiles with GNU msgfmt --check (placeholders, plural forms, header) when it is here."""
    mo = path.with_suffix(".mo")
    if shutil.which("msgfmt"):
        subprocess.run(["msgfmt", "--check", "-o", str(mo), str(path)], check=True)
    else:
        print(
            "msgfmt not found (apt-get install gettext): compiled with polib, unchecked",
            file=sys.stderr,
        )
        polib.pofile(str(path)).save_as_mofile(str(mo))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m hub.core.admin_catalogue", description=__doc__.split("\n")[0]
    )
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("missing", help="list the admin msgids nobody translates")
    sub.add_parser("update", help="add the missing msgids to wagtail-admin.po")
    sub.add_parser(
        "build", help="build and compile hub/locale/id/LC_MESSAGES/django.po, djangojs.po"
    )
    gate = sub.add_parser("coverage", help="coverage of Wagtail's admin catalogue")
    gate.add_argument("--min", type=float, default=0.0, help="fail below this percentage")
    args = parser.parse_args(argv)
    po = load_source()
    if args.command == "missing":
        gaps = missing(po)
        for source in gaps:
            print(f"{source.reference}\t{source.entry.msgctxt or ''}\t{source.entry.msgid!r}")
        print(f"{len(gaps)} untranslated", file=sys.stderr)
    elif args.command == "update":
        added, obsolete = update(po)
        SOURCE_PO.parent.mkdir(parents=True, exist_ok=True)
        po.save(str(SOURCE_PO))
        untranslated = len(po.untranslated_entries())
        print(
            f"{SOURCE_PO.relative_to(ROOT)}: {added} added, {obsolete} obsolete, "
            f"{untranslated} to translate"
        )
    elif args.command == "build":
        for path in build(po).values():
            print(f"{path.relative_to(ROOT)}: {sum(1 for _ in polib.pofile(str(path)))} entries")
    else:
        figure = coverage(po)
        print(
            f"Wagtail admin catalogue: {figure.total} entries; Indonesian: Wagtail alone "
            f"{figure.upstream} ({figure.before:.1f} %), "
            f"with Balai {figure.combined} ({figure.after:.1f} %)"
        )
        if figure.after < args.min:
            print(f"below {args.min} %", file=sys.stderr)
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
