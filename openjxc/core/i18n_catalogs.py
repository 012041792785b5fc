"""The catalogue files: where each owner's ``.po`` files live, reading them, and keeping them
complete.

An owner's catalogues are ``<package>/i18n/<locale>/LC_MESSAGES/messages.po`` (the kernel's,
owner ``core``, in ``openjxc/core/i18n``).  They are read directly with Babel (no compile
step) and parsed once per path and modification time, so the side-by-side editions of one
process share the work and a translator built after an edit sees it.

The tooling finds every ``_("...")`` in an owner's source (:func:`extract_messages`), lists
what has no usable translation (:func:`missing_translations`, run by the conformance tests)
and refreshes the catalogues (:func:`update_catalogs`).  The kernel's messages also come from
the GraphQL layer, which shares its catalogue (:data:`KERNEL_SOURCES`).

Every public name here is re-exported by :mod:`openjxc.core.i18n`.

Example::

    update_catalogs(Path("openjxc/addons/base_jxc"))       # then translate the new entries
    assert not missing_translations("base_jxc", Path("openjxc/addons/base_jxc"))
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from functools import lru_cache
from pathlib import Path
from types import MappingProxyType
from typing import Any

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import PoFileError, read_po, write_po

from openjxc.core.errors import BootError
from openjxc.core.locales import SUPPORTED_LOCALES

#: The language msgids are written in; its catalogue may repeat the msgid as msgstr.
SOURCE_LOCALE = "en"
KERNEL_DIR = Path(__file__).parent
KERNEL_I18N = KERNEL_DIR / "i18n"
#: The kernel's messages also come from the GraphQL layer, which shares its catalogue.
KERNEL_SOURCES: tuple[Path, ...] = (KERNEL_DIR, KERNEL_DIR.parent / "graphql")
_KEYWORDS: Mapping[str, None] = {"_": None}
_CATALOG_HEADER: dict[str, Any] = {
    "project": "OpenJXC",
    "copyright_holder": "the OpenJXC authors",
    "header_comment": "# OpenJXC translations; msgids are English. Refresh: update_catalogs().\n#",
    "fuzzy": False,
}


def catalog_path(i18n_dir: Path, locale: str) -> Path:
    return Path(i18n_dir) / locale / "LC_MESSAGES" / "messages.po"


# -- reading ---------------------------------------------------------------------------------

def _read_catalog(path: Path) -> Mapping[str, str]:
    try:
        stat = path.stat()
    except FileNotFoundError:
        return MappingProxyType({})
    return _parse_catalog(str(path), stat.st_mtime_ns, stat.st_size)


@lru_cache(maxsize=512)
def _parse_catalog(path: str, _mtime_ns: int, _size: int) -> Mapping[str, str]:
    """msgid → msgstr of the usable entries: translated, not fuzzy (a guess by
    ``Catalog.update`` that nobody reviewed), not obsolete, not plural."""
    with open(path, "rb") as fileobj:
        try:
            catalog = read_po(fileobj, ignore_obsolete=True, abort_invalid=True)
        except PoFileError as exc:
            raise BootError(f"{path}: invalid catalogue: {exc}") from exc
    return MappingProxyType({
        message.id: message.string
        for message in catalog
        if isinstance(message.id, str) and message.id and isinstance(message.string, str)
        and message.string and not message.fuzzy
    })


# -- maintenance -----------------------------------------------------------------------------

def _sources_for(package: Path, sources: Sequence[Path] | None) -> list[Path]:
    if sources is None:
        sources = KERNEL_SOURCES if package.resolve() == KERNEL_DIR.resolve() else (package,)
    return [Path(s) for s in sources if Path(s).is_dir()]


def extract_messages(package_path: Path, sources: Sequence[Path] | None = None,
                     ) -> dict[str, list[tuple[str, int]]]:
    """Every ``_("...")`` msgid in the package's Python source, with where it appears
    (paths relative to the package)."""
    package = Path(package_path)
    found: dict[str, list[tuple[str, int]]] = {}
    for source in _sources_for(package, sources):
        for filename, lineno, message, _comments, _context in extract_from_dir(
            source, method_map=[("**.py", "python")], keywords=_KEYWORDS
        ):
            if isinstance(message, str) and message:
                where = os.path.relpath(source / filename, package).replace(os.sep, "/")
                found.setdefault(message, []).append((where, lineno))
    return found


def missing_translations(owner: str, package_path: Path,
                         sources: Sequence[Path] | None = None) -> list[str]:
    """One line per message of ``owner`` without a usable (non-empty, non-fuzzy) translation
    in a supported locale, and per missing catalogue; empty when the owner is complete (or
    has no messages at all)."""
    package = Path(package_path)
    messages = extract_messages(package, sources)
    problems: list[str] = []
    if not messages:
        return problems  # nothing to translate: no catalogue is needed either
    for locale in SUPPORTED_LOCALES:
        path = catalog_path(package / "i18n", locale)
        if not path.is_file():
            problems.append(f"{owner}: no {locale} catalogue at {path}")
            continue
        translated = _read_catalog(path)
        for msgid, places in messages.items():
            if msgid not in translated:
                where = ", ".join(f"{file}:{line}" for file, line in places)
                problems.append(f"{owner}: {msgid!r} has no {locale} translation ({where})")
    return problems


def update_catalogs(package_path: Path, sources: Sequence[Path] | None = None) -> list[Path]:
    """Extract the package's messages and create or update its zh_CN and en catalogues.

    New msgids arrive untranslated (en: the msgid is copied, as the source language);
    changed ones may be fuzzy-matched and flagged for review; vanished ones become
    obsolete (``#~``).  Returns the files written.
    """
    package = Path(package_path)
    template = Catalog(**_CATALOG_HEADER)
    for msgid, places in extract_messages(package, sources).items():
        template.add(msgid, None, places)
    written: list[Path] = []
    for locale in SUPPORTED_LOCALES:
        path = catalog_path(package / "i18n", locale)
        if path.is_file():
            with path.open("rb") as fileobj:
                catalog = read_po(fileobj, locale=locale)
        else:
            catalog = Catalog(locale=locale, **_CATALOG_HEADER)
        # No fuzzy guesses: a near-miss translation shown to users is worse than a
        # missing one, which the conformance check reports.
        catalog.update(template, no_fuzzy_matching=True, update_creation_date=False)
        if locale == SOURCE_LOCALE:
            for message in catalog:
                if message.id and not message.string and not message.fuzzy:
                    message.string = message.id
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("wb") as fileobj:
            # No line numbers: editing code must not churn every catalogue.
            write_po(fileobj, catalog, width=100, sort_output=True, include_lineno=False)
        written.append(path)
    return written
