"""Languages: per-addon Babel catalogues, the current locale, negotiation and formatting.

Texts are written in English in the code, marked with ``_``, and translated in the catalogues
of the package that owns them: ``<package>/i18n/<locale>/LC_MESSAGES/messages.po`` (the
kernel's, owner ``core``, in ``openjxc/core/i18n``).  Supported locales: ``zh_CN`` (the
default: the dealers' staff read Simplified Chinese first) and ``en``.

Why it is shaped this way:

* ``_`` is lazy.  Modules declare messages at import time, before anyone knows who reads
  them; a :class:`LazyString` picks its text when it is turned into ``str``.
* Which catalogues exist depends on the addon set, so a :class:`Translator` is built per
  environment (an edition is an object, not a global state) and made current for a request
  with ``translator.activate(locale)``.  Both live in context variables, so concurrent
  requests (threads or asyncio tasks) each keep their own.
* ``.po`` files are read directly with Babel (no compile step) and parsed once per path and
  modification time, so the side-by-side editions of one process share the work and a
  translator built after an edit sees it.
* Catalogues merge in dependency order and **the first translation wins**: an extender may
  not reword its base addon's messages (addons extend, never edit).  A different translation
  of the same msgid is reported as a :class:`TranslationConflictWarning` and kept in
  ``translator.conflicts``; ``strict=True`` (the conformance tests) raises instead.
  Identical translations are not conflicts.
* Enum labels: an enum declares ``__labels__ = {"DRAFT": _("Draft"), ...}`` in its class
  body (dunder names never become members); :func:`enum_label` translates it.

Example::

    translator = Translator.for_environment(env)
    locale = negotiate_locale(user.locale, request.headers.get("accept-language"))
    with translator.activate(locale):
        message = str(KernelMessages.NOT_FOUND)   # "未找到" or "Not found"
"""

from __future__ import annotations

import logging
import os
import warnings
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import UTC, date, datetime, tzinfo
from decimal import ROUND_HALF_UP, Decimal
from enum import Enum
from functools import cache, lru_cache
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from babel import Locale, dates, numbers
from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import PoFileError, read_po, write_po

from openjxc.core.config import Settings
from openjxc.core.errors import BootError

if TYPE_CHECKING:
    from openjxc.core.env import Environment

logger = logging.getLogger(__name__)

SUPPORTED_LOCALES: tuple[str, ...] = ("zh_CN", "en")
#: The language msgids are written in; its catalogue may repeat the msgid as msgstr.
SOURCE_LOCALE = "en"
DEFAULT_LOCALE: str = Settings.default_locale
DEFAULT_TIMEZONE: str = Settings.timezone
KERNEL_OWNER = "core"
KERNEL_DIR = Path(__file__).parent
KERNEL_I18N = KERNEL_DIR / "i18n"
#: The kernel's messages also come from the GraphQL layer, which shares its catalogue.
KERNEL_SOURCES: tuple[Path, ...] = (KERNEL_DIR, KERNEL_DIR.parent / "graphql")
_KEYWORDS: Mapping[str, None] = {"_": None}
_ENV_KEY = "i18n.translator"
_CATALOG_HEADER: dict[str, Any] = {
    "project": "OpenJXC",
    "copyright_holder": "the OpenJXC authors",
    "header_comment": "# OpenJXC translations; msgids are English. Refresh: update_catalogs().\n#",
    "fuzzy": False,
}


def catalog_path(i18n_dir: Path, locale: str) -> Path:
    return Path(i18n_dir) / locale / "LC_MESSAGES" / "messages.po"


# -- locales ---------------------------------------------------------------------------------

def normalize_locale(tag: str | None) -> str | None:
    """The supported locale a language tag means, or None.

    Every Chinese tag (zh, zh-CN, zh-Hans, zh-TW, zh_HK …) means zh_CN: we ship Simplified
    only, which Traditional readers read better than English.  Every English tag means en.
    """
    if not tag:
        return None
    primary = tag.strip().replace("_", "-").split("-", 1)[0].lower()
    return {"zh": "zh_CN", "en": "en"}.get(primary)


def negotiate_locale(
    user_setting: str | None, accept_language: str | None, default: str = DEFAULT_LOCALE
) -> str:
    """The user's own setting if we support it, else the best Accept-Language match, else
    ``default``.  Tags are ranked by q-value (ties keep header order); q=0 means "not this"."""
    chosen = normalize_locale(user_setting)
    if chosen:
        return chosen
    for tag in _ranked_tags(accept_language or ""):
        chosen = normalize_locale(tag)
        if chosen:
            return chosen
    return default


def _ranked_tags(header: str) -> list[str]:
    ranked: list[tuple[float, int, str]] = []
    for position, item in enumerate(header.split(",")[:50]):
        tag, _sep, params = item.partition(";")
        quality = 1.0
        for param in params.split(";"):
            key, _eq, value = param.partition("=")
            if key.strip().lower() == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        if tag.strip() and 0 < quality <= 1:
            ranked.append((-quality, position, tag.strip()))
    return [tag for _q, _p, tag in sorted(ranked)]


def _require_locale(locale: str) -> str:
    resolved = normalize_locale(locale)
    if resolved is None:
        raise ValueError(
            f"unsupported locale {locale!r}; supported: {', '.join(SUPPORTED_LOCALES)}"
        )
    return resolved


_locale_var: ContextVar[str | None] = ContextVar("openjxc_locale", default=None)
_translator_var: ContextVar[Translator | None] = ContextVar("openjxc_translator", default=None)


def current_locale() -> str:
    """The locale of this request (``use_locale``), else the active translator's default."""
    translator = _translator_var.get()
    fallback = translator.default_locale if translator else DEFAULT_LOCALE
    return _locale_var.get() or fallback


def current_translator() -> Translator:
    """The translator made current by ``activate``/``use_locale``; outside any, the kernel's
    own (so CLI messages and tests of the kernel translate without an environment)."""
    return _translator_var.get() or _kernel_translator()


@contextmanager
def use_locale(locale: str, translator: Translator | None = None) -> Iterator[str]:
    """Read messages in ``locale`` (and through ``translator``, if given) inside the block."""
    resolved = _require_locale(locale)
    locale_token = _locale_var.set(resolved)
    translator_token = _translator_var.set(translator) if translator is not None else None
    try:
        yield resolved
    finally:
        if translator_token is not None:
            _translator_var.reset(translator_token)
        _locale_var.reset(locale_token)


# -- messages --------------------------------------------------------------------------------

class LazyString:
    """A message whose text is chosen when it is read: ``str()``, f-strings, ``format``, ``+``.

    Two lazy strings are equal when they are the same message with the same parameters.
    A lazy string never equals a plain ``str`` (which text it has depends on the locale):
    compare ``str(message)``.  Hand ``str(message)`` to APIs that need a real ``str``.
    """

    __slots__ = ("msgid", "params")

    def __init__(self, msgid: str, params: Mapping[str, object] | None = None) -> None:
        self.msgid = msgid
        self.params: Mapping[str, object] = dict(params or {})

    def resolve(self, locale: str | None = None, translator: Translator | None = None) -> str:
        return (translator or current_translator()).translate(self.msgid, locale, **self.params)

    def format(self, *args: object, **kwargs: object) -> str:
        return self.resolve().format(*args, **kwargs)

    def __str__(self) -> str:
        return self.resolve()

    def __format__(self, spec: str) -> str:
        return format(self.resolve(), spec)

    def __add__(self, other: object) -> str:
        return self.resolve() + str(other)

    def __radd__(self, other: object) -> str:
        return str(other) + self.resolve()

    def __mod__(self, other: object) -> str:
        return self.resolve() % other

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, LazyString):
            return NotImplemented
        return (self.msgid, self.params) == (other.msgid, other.params)

    def __hash__(self) -> int:
        return hash(self.msgid)

    def __repr__(self) -> str:
        return f"_({self.msgid!r})"


def _(msgid: str, **params: object) -> LazyString:
    """Mark ``msgid`` for translation; ``{name}`` placeholders are filled from ``params``
    after translation (``_("Stock of {code} is insufficient", code=product.code)``)."""
    return LazyString(msgid, params)


gettext_lazy = _


def translate(msgid: str, locale: str | None = None, **params: object) -> str:
    """``msgid`` in ``locale`` (default: the current one), through the current translator."""
    return current_translator().translate(msgid, locale, **params)


class KernelMessages:
    """The kernel's own user-facing messages, declared once so every layer words them alike."""

    AUTHENTICATION_REQUIRED = _("Authentication required")
    PERMISSION_DENIED = _("You do not have permission to perform this action")
    INTERNAL_ERROR = _("Internal server error")
    IDEMPOTENCY_KEY_REUSED = _("This idempotency key was already used with different input")
    TOO_MANY_LOGIN_ATTEMPTS = _("Too many failed login attempts; try again later")
    INVALID_CREDENTIALS = _("Invalid username or password")
    NOT_FOUND = _("Not found")
    INVALID_INPUT = _("Invalid input")


# -- translators -----------------------------------------------------------------------------

class TranslationConflictWarning(UserWarning):
    """Two owners translate the same msgid differently; the first (in dependency order) wins."""


class TranslationConflictError(BootError):
    code = "TRANSLATION_CONFLICT"


@dataclass(frozen=True)
class TranslationConflict:
    locale: str
    msgid: str
    kept_owner: str
    kept: str
    ignored_owner: str
    ignored: str

    def __str__(self) -> str:
        return (
            f"{self.ignored_owner} translates {self.msgid!r} in {self.locale} as "
            f"{self.ignored!r}, but {self.kept_owner} (earlier) already has {self.kept!r}; "
            f"keeping {self.kept_owner}'s"
        )


class Translator:
    """The merged catalogues of one addon set; built once per environment, then read-only."""

    def __init__(
        self,
        sources: Iterable[tuple[str, Path]],
        *,
        default_locale: str = DEFAULT_LOCALE,
        timezone: str = DEFAULT_TIMEZONE,
        strict: bool = False,
    ) -> None:
        self.sources: tuple[tuple[str, Path], ...] = tuple((o, Path(p)) for o, p in sources)
        self.default_locale = _require_locale(default_locale)
        self.timezone: tzinfo = ZoneInfo(timezone)
        self.conflicts: list[TranslationConflict] = []
        self._messages: dict[str, dict[str, str]] = {}
        for locale in SUPPORTED_LOCALES:
            merged: dict[str, str] = {}
            origin: dict[str, str] = {}
            for owner, i18n_dir in self.sources:
                for msgid, text in _read_catalog(catalog_path(i18n_dir, locale)).items():
                    if msgid not in merged:
                        merged[msgid], origin[msgid] = text, owner
                    elif merged[msgid] != text:
                        self._conflict(TranslationConflict(
                            locale, msgid, origin[msgid], merged[msgid], owner, text), strict)
            self._messages[locale] = merged

    @classmethod
    def for_environment(cls, env: Environment, *, strict: bool = False) -> Translator:
        """The kernel's and every addon's catalogues, in the environment's dependency order
        (cached on the environment)."""
        cached = env.extensions.get(_ENV_KEY)
        if isinstance(cached, Translator):
            return cached
        translator = cls(
            [(KERNEL_OWNER, KERNEL_I18N), *((m.name, m.i18n_path) for m in env.addons)],
            default_locale=env.settings.default_locale,
            timezone=env.settings.timezone,
            strict=strict,
        )
        env.extensions[_ENV_KEY] = translator
        return translator

    def _conflict(self, conflict: TranslationConflict, strict: bool) -> None:
        if strict:
            raise TranslationConflictError(str(conflict))
        self.conflicts.append(conflict)
        warnings.warn(str(conflict), TranslationConflictWarning, stacklevel=4)

    def _locale(self, locale: str | None) -> str:
        return _require_locale(locale) if locale else (_locale_var.get() or self.default_locale)

    def has(self, msgid: str, locale: str) -> bool:
        return msgid in self._messages[_require_locale(locale)]

    def translate(self, msgid: str, locale: str | None = None, **params: object) -> str:
        """The translation (or the msgid itself when there is none), with ``{name}``
        placeholders filled.  A translation whose placeholders do not fit falls back to the
        msgid: a translator's typo must not turn a user error into a server error."""
        locale = self._locale(locale)
        text = self._messages[locale].get(msgid, msgid)
        if not params:
            return text
        values = {
            key: value.resolve(locale, self) if isinstance(value, LazyString) else value
            for key, value in params.items()
        }
        try:
            return text.format(**values)
        except (AttributeError, IndexError, KeyError, TypeError, ValueError):
            if text == msgid:
                raise
            logger.warning("%s translation of %r does not fit its parameters", locale, msgid)
            return msgid.format(**values)

    @contextmanager
    def activate(self, locale: str | None = None) -> Iterator[str]:
        """Make this translator and ``locale`` (default: its default) current in the block."""
        with use_locale(locale or self.default_locale, translator=self) as resolved:
            yield resolved


@cache
def _kernel_translator() -> Translator:
    return Translator([(KERNEL_OWNER, KERNEL_I18N)])


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


# -- formatting ------------------------------------------------------------------------------

@cache
def _babel_locale(locale: str) -> Locale:
    return Locale.parse(locale)


def _locale_of(locale: str | None) -> Locale:
    return _babel_locale(_require_locale(locale) if locale else current_locale())


def _number(value: Decimal | int) -> Decimal:
    """Money and quantities are Decimal; a float has already lost digits, so it is refused."""
    if isinstance(value, bool | float) or not isinstance(value, Decimal | int):
        raise TypeError(f"expected Decimal or int, not {type(value).__name__} ({value!r})")
    return Decimal(value)


def _exact(value: Decimal | int, places: int) -> Decimal:
    """Round half-up ourselves: Babel would round half-even (0.125 → 0.12)."""
    return _number(value).quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)


def format_money(amount: Decimal | int, locale: str | None = None, *, currency: str = "CNY",
                 ) -> str:
    """``¥1,280.00`` in zh_CN, ``CN¥1,280.00`` in en."""
    places = numbers.get_currency_precision(currency)
    return numbers.format_currency(_exact(amount, places), currency, locale=_locale_of(locale))


def format_quantity(quantity: Decimal | int, locale: str | None = None, *, places: int = 4,
                    ) -> str:
    """Up to ``places`` decimals (the stored precision), trailing zeros dropped: ``1,234.5``."""
    pattern = "#,##0." + "#" * places if places else "#,##0"
    return numbers.format_decimal(_exact(quantity, places), pattern, locale=_locale_of(locale))


def format_decimal(value: Decimal | int, locale: str | None = None, *,
                   places: int | None = None) -> str:
    """Exactly ``places`` decimals when given; otherwise every digit the value has."""
    if places is None:
        return numbers.format_decimal(_number(value), locale=_locale_of(locale),
                                      decimal_quantization=False)
    pattern = "#,##0." + "0" * places if places else "#,##0"
    return numbers.format_decimal(_exact(value, places), pattern, locale=_locale_of(locale))


def _zone(tz: str | tzinfo | None) -> tzinfo:
    if isinstance(tz, tzinfo):
        return tz
    if tz:
        return ZoneInfo(tz)
    translator = _translator_var.get()
    return translator.timezone if translator else ZoneInfo(DEFAULT_TIMEZONE)


def _company_time(value: datetime, tz: str | tzinfo | None) -> datetime:
    """Timestamps are stored in UTC; a naive one is read as UTC, never as local time."""
    aware = value if value.tzinfo is not None else value.replace(tzinfo=UTC)
    return aware.astimezone(_zone(tz))


def format_date(value: date, locale: str | None = None, *, style: str = "medium",
                tz: str | tzinfo | None = None) -> str:
    """A date (``2024年3月5日`` / ``Mar 5, 2024``); a datetime gives its company-time date."""
    if isinstance(value, datetime):
        value = _company_time(value, tz).date()
    return dates.format_date(value, style, locale=_locale_of(locale))


def format_datetime(value: datetime, locale: str | None = None, *, style: str = "medium",
                    tz: str | tzinfo | None = None) -> str:
    """A UTC timestamp shown in the company's time zone (Asia/Shanghai by default)."""
    local = _company_time(value, tz)
    return dates.format_datetime(local, style, tzinfo=local.tzinfo, locale=_locale_of(locale))


# -- enum labels -----------------------------------------------------------------------------

def enum_label(member: Enum, locale: str | None = None) -> str:
    """The label an enum declares for ``member`` in ``__labels__`` (keyed by member name or
    member), translated; without one, the humanised name (``PARTLY_RECEIVED`` → "Partly
    received"), translated if a catalogue has it."""
    labels = getattr(type(member), "__labels__", None)
    label: object = None
    if isinstance(labels, Mapping):
        label = labels.get(member.name, labels.get(member))
    if not isinstance(label, LazyString):
        label = LazyString(str(label) if label else member.name.replace("_", " ").capitalize())
    return label.resolve(locale)


def missing_enum_labels(enum_cls: type[Enum]) -> list[str]:
    """Members of ``enum_cls`` without a declared label (for conformance tests)."""
    labels = getattr(enum_cls, "__labels__", None) or {}
    return [m.name for m in enum_cls if m.name not in labels and m not in labels]


# -- catalogue maintenance -------------------------------------------------------------------

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
        catalog.update(template, update_creation_date=False)
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
