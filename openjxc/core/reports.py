"""Printable documents: Jinja2 HTML templates rendered to PDF with WeasyPrint.

An addon offers a document by returning :class:`Report` objects from its
``register_reports`` hook; the template lives in the addon's ``templates/`` directory and
usually extends the kernel's ``base.html`` (A4 page, CJK fonts, print styles)::

    @hookimpl
    def register_reports():
        return [Report("sales_order", "sales_order.html", "sales.order.read",
                       load=load_sales_order, title="销售合同")]

    registry = ReportRegistry.for_environment(env)
    with env.unit_of_work(readonly=True) as session:
        pdf = registry.render_pdf("sales_order", 42, session, "zh_CN")

The registry is built once per environment (an edition is an object, not a global state)
and cached in ``env.extensions``.  It does not check permissions itself: the caller (the
HTTP endpoint, the CLI) knows the user and checks :attr:`Report.permission`, obtained
from :meth:`ReportRegistry.get`.

Why the PDF needs care: WeasyPrint draws every glyph from a font fontconfig finds.  A
server without a Chinese font prints a contract full of empty boxes without any error, so
:meth:`ReportRegistry.render_pdf` refuses to run when :func:`cjk_font_available` is false.

The template filters (``money``, ``date``, ``qty``, ``amount_in_words``) live in
:mod:`openjxc.core.report_filters`; writing the PDF, and what it may read while doing so, in
:mod:`openjxc.core.pdf`.
"""

from __future__ import annotations

import inspect
import os
import re
import shutil
import subprocess
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import jinja2

from openjxc.core.errors import BootError, ConfigError, OpenJXCError
from openjxc.core.pdf import _template_files_fetcher as _template_files_fetcher  # old home
from openjxc.core.pdf import html_to_pdf
from openjxc.core.report_filters import FILTERS

if TYPE_CHECKING:
    from openjxc.core.addons import AddonManifest

#: The kernel's own templates (``base.html``); searched after the owning addon's.
KERNEL_TEMPLATES = Path(__file__).resolve().parent / "templates"
#: Key of the registry in ``Environment.extensions``.
EXTENSION_KEY = "reports"
#: Directories scanned for a CJK font file when the ``fc-list`` tool is not installed.
FONT_DIRS = ("/usr/share/fonts", "/usr/local/share/fonts", "~/.fonts", "~/.local/share/fonts",
             "/Library/Fonts", "/System/Library/Fonts", "C:/Windows/Fonts")
#: File names of common CJK fonts (WenQuanYi, Noto/Source Han, Windows and macOS fonts).
_CJK_FONT_FILE = re.compile(
    r"(wqy|wenquanyi|notosans.*(cjk|sc)|notoserif.*(cjk|sc)|sourcehan|msyh|simsun|simhei"
    r"|pingfang|stheiti|droidsansfallback)",
    re.IGNORECASE,
)
_FONT_SUFFIXES = {".ttf", ".ttc", ".otf", ".otc"}
_REPORT_NAME = re.compile(r"^[a-z][a-z0-9_]*$")

#: ``load(session, id, env)`` → the template context, or None when the record is missing.
#: A loader that also takes ``principal`` (keyword) receives the caller, so that it can
#: apply their scopes (``principal.allowed("warehouse", doc.warehouse_id)``) and answer
#: None for a record outside them — a document must not leak what a list would hide.
Loader = Callable[..., Mapping[str, Any] | None]


class ReportNotFound(OpenJXCError):
    """An unknown report name, or a record the report's loader cannot find."""

    code = "NOT_FOUND"


class CJKFontMissing(ConfigError):
    """No Chinese font is installed: a PDF would show boxes instead of characters."""

    code = "CJK_FONT_MISSING"


@dataclass(frozen=True)
class Report:
    """A printable document an addon offers, served at ``/reports/{name}/{id}.pdf``.

    ``template`` is a file name in the owning addon's ``templates/`` directory;
    ``permission`` is what a user needs to print it (``"sales.order.read"``); ``load``
    builds the template context from the database and returns None for a missing record.
    The context may carry any objects; ``title``, ``report`` and ``locale`` are added by
    the kernel (``title`` defaults to :attr:`title`, a loader may override it).
    """

    name: str
    template: str
    permission: str
    load: Loader
    title: str | None = None


class ReportHost(Protocol):
    """What the registry needs from an environment (a test may pass a small fake)."""

    @property
    def addons(self) -> Sequence[AddonManifest]: ...

    @property
    def extensions(self) -> dict[str, Any]: ...

    def contributions(self, hook: str, **kwargs: Any) -> list[tuple[str, Any]]: ...


class ReportRegistry:
    """The reports of one environment, with one Jinja2 environment per owning addon."""

    def __init__(self, env: ReportHost) -> None:
        self.env = env
        self._manifests = {m.name: m for m in env.addons}
        self._reports: dict[str, tuple[str, Report]] = {}
        self._jinja: dict[str, jinja2.Environment] = {}
        for owner, reports in env.contributions("register_reports"):
            for report in reports:
                self._add(owner, report)

    @classmethod
    def for_environment(cls, env: ReportHost) -> ReportRegistry:
        """The registry of ``env``, built on first use and kept in ``env.extensions``."""
        registry = env.extensions.get(EXTENSION_KEY)
        if not isinstance(registry, cls):
            registry = cls(env)
            env.extensions[EXTENSION_KEY] = registry
        return registry

    def _add(self, owner: str, report: object) -> None:
        """Validate at boot what would otherwise fail on the first print."""
        if not isinstance(report, Report):
            raise BootError(f"{owner}: register_reports returned {report!r}, not a Report")
        if not _REPORT_NAME.match(report.name):
            raise BootError(
                f"{owner}: report name {report.name!r} must be lower_snake_case "
                f"(it appears in URLs)"
            )
        if report.name in self._reports:
            first = self._reports[report.name][0]
            raise BootError(f"report {report.name!r} contributed twice ({first} and {owner})")
        if not report.permission:
            raise BootError(f"{owner}: report {report.name!r} declares no permission")
        try:
            self.jinja(owner).get_template(report.template)
        except jinja2.TemplateNotFound:
            searched = ", ".join(str(p) for p in self.template_dirs(owner))
            raise BootError(
                f"{owner}: report {report.name!r}: template {report.template!r} not found "
                f"(searched {searched})"
            ) from None
        except jinja2.TemplateSyntaxError as exc:
            raise BootError(
                f"{owner}: report {report.name!r}: {exc.filename}:{exc.lineno}: {exc.message}"
            ) from exc
        self._reports[report.name] = (owner, report)

    # -- look-up ------------------------------------------------------------------------

    def get(self, name: str) -> Report:
        """The report called ``name``; :class:`ReportNotFound` when there is none."""
        return self._entry(name)[1]

    def names(self) -> list[str]:
        return sorted(self._reports)

    def __contains__(self, name: object) -> bool:
        return name in self._reports

    def _entry(self, name: str) -> tuple[str, Report]:
        try:
            return self._reports[name]
        except KeyError:
            available = ", ".join(self.names()) or "none"
            raise ReportNotFound(f"unknown report {name!r}; available: {available}") from None

    # -- templates ----------------------------------------------------------------------

    def template_dirs(self, owner: str) -> list[Path]:
        """Where ``owner``'s templates are looked up, first match wins.

        The owner's own directory, then those of the addons it depends on (nearest
        first, so a Pro addon may include a partial of ``base_jxc``), then the kernel's,
        so that any template can ``{% extends "base.html" %}``.
        """
        dirs: list[Path] = []
        for name in self._lineage(owner):
            path = self._manifests[name].templates_path
            if path.is_dir():
                dirs.append(path)
        dirs.append(KERNEL_TEMPLATES)
        return dirs

    def _lineage(self, owner: str) -> list[str]:
        """``owner`` and its transitive dependencies, most specific first."""
        if owner not in self._manifests:
            return []
        wanted = {owner}
        stack = [owner]
        while stack:
            for dep in self._manifests[stack.pop()].depends:
                if dep in self._manifests and dep not in wanted:
                    wanted.add(dep)
                    stack.append(dep)
        order = list(self._manifests)
        return sorted(wanted, key=order.index, reverse=True)

    def jinja(self, owner: str) -> jinja2.Environment:
        """The Jinja2 environment templates of ``owner`` are rendered in.

        Autoescaping is always on (every template is HTML and partner names, addresses
        and remarks are user input); undefined variables are errors, because a contract
        printed with an empty amount is worse than no contract.
        """
        jinja = self._jinja.get(owner)
        if jinja is None:
            jinja = jinja2.Environment(
                loader=jinja2.FileSystemLoader([str(p) for p in self.template_dirs(owner)]),
                autoescape=True,
                undefined=jinja2.StrictUndefined,
                trim_blocks=True,
                lstrip_blocks=True,
            )
            jinja.filters.update(FILTERS)
            self._jinja[owner] = jinja
        return jinja

    # -- rendering ----------------------------------------------------------------------

    def render_html(self, name: str, id: int, session: Any, locale: str | None = None,
                    *, principal: Any = None) -> str:
        """The document ``name`` for record ``id`` as HTML, formatted for ``locale``.

        Raises :class:`ReportNotFound` for an unknown report or a missing record (or one
        outside the ``principal``'s scopes, for loaders that take ``principal``).
        """
        owner, report = self._entry(name)
        locale = self._locale(locale)
        if _takes_principal(report.load):
            data = report.load(session, id, self.env, principal=principal)
        else:
            data = report.load(session, id, self.env)
        if data is None:
            raise ReportNotFound(f"{name} {id} not found")
        context = {"title": report.title or report.name, **data, "report": report,
                   "locale": locale}
        return self.jinja(owner).get_template(report.template).render(context)

    def render_pdf(self, name: str, id: int, session: Any, locale: str | None = None,
                   *, principal: Any = None) -> bytes:
        """The document ``name`` for record ``id`` as an A4 PDF with embedded CJK fonts.

        Raises :class:`CJKFontMissing` before rendering when no Chinese font is installed
        and :class:`ReportNotFound` for an unknown report or a missing record.
        """
        owner, _ = self._entry(name)
        if not cjk_font_available():
            raise CJKFontMissing(
                "no Chinese (CJK) font is installed, the PDF would show empty boxes; "
                "install one, e.g. `apt-get install fonts-wqy-microhei` or "
                "`apt-get install fonts-noto-cjk`"
            )
        html = self.render_html(name, id, session, locale, principal=principal)
        return html_to_pdf(html, self.template_dirs(owner))


    @staticmethod
    def _locale(locale: str | None) -> str:
        """``locale`` as a supported locale (``zh-CN`` → ``zh_CN``); by default the locale
        of the current request (:func:`openjxc.core.i18n.use_locale`)."""
        from openjxc.core.i18n import SUPPORTED_LOCALES, current_locale, normalize_locale

        if not locale:
            return current_locale()
        resolved = normalize_locale(locale)
        if resolved is None:
            raise ValueError(
                f"unsupported locale {locale!r}; supported: {', '.join(SUPPORTED_LOCALES)}"
            )
        return resolved


# -- fonts -----------------------------------------------------------------------------


def cjk_fonts() -> list[str]:
    """Installed fonts that cover Chinese: family names from fontconfig (what WeasyPrint
    itself uses), or font file paths from :data:`FONT_DIRS` when ``fc-list`` is absent."""
    fc_list = shutil.which("fc-list")
    if fc_list is not None:
        try:
            result = subprocess.run(
                [fc_list, ":lang=zh", "family"],
                capture_output=True, text=True, timeout=10, check=True,
            )
        except (OSError, subprocess.SubprocessError):
            pass
        else:
            return sorted(
                {line.split(",")[0].strip() for line in result.stdout.splitlines()} - {""}
            )
    return _scan_font_dirs(FONT_DIRS)


def _scan_font_dirs(dirs: Sequence[str]) -> list[str]:
    found: list[str] = []
    for raw in dirs:
        root = Path(os.path.expanduser(raw))
        if not root.is_dir():
            continue
        for path in root.rglob("*"):
            if path.suffix.lower() in _FONT_SUFFIXES and _CJK_FONT_FILE.search(path.name):
                found.append(str(path))
    return sorted(found)


def cjk_font_available() -> bool:
    """Whether a Chinese font is installed, so PDFs show characters rather than boxes.

    ``make test`` and deployment checks call it; :meth:`ReportRegistry.render_pdf`
    refuses to render without one.
    """
    return bool(cjk_fonts())


if __name__ == "__main__":  # `python -m openjxc.core.reports`: a deployment check
    fonts = cjk_fonts()
    if not fonts:
        raise SystemExit("no CJK font found: apt-get install fonts-wqy-microhei")
    print("CJK fonts:", ", ".join(fonts))


def _takes_principal(load: Callable[..., Any]) -> bool:
    try:
        parameters = inspect.signature(load).parameters
    except (TypeError, ValueError):
        return False
    return "principal" in parameters or any(
        p.kind is inspect.Parameter.VAR_KEYWORD for p in parameters.values())
