"""Which language a request reads: the supported locales, negotiation, and the current locale.

Supported locales: ``zh_CN`` (the default: the dealers' staff read Simplified Chinese first)
and ``en``.  The locale of a request, and the translator it reads through, live in context
variables, so concurrent requests (threads or asyncio tasks) each keep their own.

This is the bottom of the language modules: :mod:`openjxc.core.formatting`,
:mod:`openjxc.core.i18n_catalogs` and :mod:`openjxc.core.i18n` (which re-exports every public
name here) build on it, and it imports none of them at run time.

Example::

    locale = negotiate_locale(user.locale, request.headers.get("accept-language"))
    with use_locale(locale):
        total = format_money(order.total)
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import TYPE_CHECKING

from openjxc.core.config import Settings

if TYPE_CHECKING:
    from openjxc.core.i18n import Translator

SUPPORTED_LOCALES: tuple[str, ...] = ("zh_CN", "en")
DEFAULT_LOCALE: str = Settings.default_locale
DEFAULT_TIMEZONE: str = Settings.timezone


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


# The request's state; read by the translator (i18n) and the formatters (formatting).
_locale_var: ContextVar[str | None] = ContextVar("openjxc_locale", default=None)
_translator_var: ContextVar[Translator | None] = ContextVar("openjxc_translator", default=None)


def current_locale() -> str:
    """The locale of this request (``use_locale``), else the active translator's default."""
    translator = _translator_var.get()
    fallback = translator.default_locale if translator else DEFAULT_LOCALE
    return _locale_var.get() or fallback


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
