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

This module is where callers import from; it holds the messages and the translators, and
re-exports the rest of the language kernel: the locale of a request in
:mod:`openjxc.core.locales`, numbers and dates in :mod:`openjxc.core.formatting`, the
``.po`` files and their tooling in :mod:`openjxc.core.i18n_catalogs`.

Example::

    translator = Translator.for_environment(env)
    locale = negotiate_locale(user.locale, request.headers.get("accept-language"))
    with translator.activate(locale):
        message = str(KernelMessages.NOT_FOUND)   # "未找到" or "Not found"
"""

from __future__ import annotations

import logging
import warnings
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import tzinfo
from enum import Enum
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from openjxc.core.errors import BootError
from openjxc.core.formatting import (
    format_date,
    format_datetime,
    format_decimal,
    format_money,
    format_quantity,
)
from openjxc.core.i18n_catalogs import (
    KERNEL_DIR,
    KERNEL_I18N,
    KERNEL_SOURCES,
    SOURCE_LOCALE,
    _read_catalog,
    catalog_path,
    extract_messages,
    missing_translations,
    update_catalogs,
)
from openjxc.core.locales import (
    DEFAULT_LOCALE,
    DEFAULT_TIMEZONE,
    SUPPORTED_LOCALES,
    _locale_var,
    _require_locale,
    _translator_var,
    current_locale,
    negotiate_locale,
    normalize_locale,
    use_locale,
)

if TYPE_CHECKING:
    from openjxc.core.env import Environment

__all__ = [
    "DEFAULT_LOCALE",
    "DEFAULT_TIMEZONE",
    "KERNEL_DIR",
    "KERNEL_I18N",
    "KERNEL_OWNER",
    "KERNEL_SOURCES",
    "SOURCE_LOCALE",
    "SUPPORTED_LOCALES",
    "KernelMessages",
    "LazyString",
    "TranslationConflict",
    "TranslationConflictError",
    "TranslationConflictWarning",
    "Translator",
    "catalog_path",
    "current_locale",
    "current_translator",
    "enum_label",
    "extract_messages",
    "format_date",
    "format_datetime",
    "format_decimal",
    "format_money",
    "format_quantity",
    "gettext_lazy",
    "missing_enum_labels",
    "missing_translations",
    "negotiate_locale",
    "normalize_locale",
    "translate",
    "update_catalogs",
    "use_locale",
]

logger = logging.getLogger(__name__)

KERNEL_OWNER = "core"
_ENV_KEY = "i18n.translator"


# -- the current translator ------------------------------------------------------------------

def current_translator() -> Translator:
    """The translator made current by ``activate``/``use_locale``; outside any, the kernel's
    own (so CLI messages and tests of the kernel translate without an environment)."""
    return _translator_var.get() or _kernel_translator()


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
    TRY_AGAIN = _("Busy with concurrent changes: nothing was saved, please try again")
    IDEMPOTENCY_KEY_REUSED = _("This idempotency key was already used with different input")
    TOO_MANY_LOGIN_ATTEMPTS = _("Too many failed login attempts; try again later")
    INVALID_CREDENTIALS = _("Invalid username or password")
    NOT_FOUND = _("Not found")
    INVALID_INPUT = _("Invalid input")
    NUL_IN_TEXT = _("Text cannot contain the NUL character (\\u0000)")
    PERMISSION_REQUIRED = _("You need the permission {permission} for this")
    OUT_OF_SCOPE = _("This is outside the scope you were given")
    # Query protection (openjxc.graphql.limits) and the bearer throttle.
    INTROSPECTION_DISABLED = _("Introspection is disabled on this server")
    PAGE_SIZE_TOO_LARGE = _("Page size {size} on '{field}' is above the maximum of {limit}")
    QUERY_TOO_DEEP = _("Query depth {depth} is above the maximum of {limit}")
    TOO_MANY_ALIASES = _("The query uses {aliases} aliases, above the maximum of {limit}")
    QUERY_TOO_COMPLEX = _("Query cost {cost} is above the maximum of {limit}; ask for "
                          "smaller pages or fewer fields")
    INTROSPECTION_TOO_COMPLEX = _("Introspection may list the schema's types once and "
                                  "expand each type's fields one level deep")
    QUERY_TOO_LARGE = _("The query is longer than the maximum of {limit} characters")
    TOO_MANY_TOKENS = _("The query has more than the maximum of {limit} tokens")
    REQUEST_TOO_LARGE = _("The request body is larger than the maximum of {limit} bytes")
    INVALID_UNICODE = _("The request holds text that is not valid Unicode "
                        "(invalid UTF-8 or a lone surrogate)")
    JSON_TOO_DEEP = _("The request's JSON nests deeper than the maximum of {limit} levels")
    TOO_MANY_BEARER_FAILURES = _("Too many requests with an invalid token; try again later")
    TOO_MANY_PUBLIC_REQUESTS = _("Too many requests; try again in {seconds} seconds")


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

