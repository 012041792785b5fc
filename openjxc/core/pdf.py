"""HTML to PDF with WeasyPrint, reading nothing but the templates' own files.

WeasyPrint fetches what the HTML links to through :func:`_template_files_fetcher`, so a
value from the database in a ``src`` attribute cannot make the server read a file or call
a URL while printing.

WeasyPrint is imported only when a PDF is written: it loads Pango and friends, a cost every
process that imports the kernel would pay without ever printing.  Whether the server has a
Chinese font to print with is :func:`openjxc.core.reports.cjk_font_available`.

Example::

    pdf = html_to_pdf(html, registry.template_dirs(owner))
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any


def html_to_pdf(html: str, roots: Sequence[Path]) -> bytes:
    """``html`` as a PDF; relative URLs resolve in ``roots[0]``, and only files under
    ``roots`` (and ``data:`` URLs) may be read."""
    import weasyprint

    document = weasyprint.HTML(string=html, base_url=roots[0].as_uri() + "/",
                               url_fetcher=_template_files_fetcher(roots))
    return bytes(document.write_pdf())


def _template_files_fetcher(roots: Sequence[Path]) -> Any:
    """A WeasyPrint URL fetcher that serves only ``data:`` URLs and files under ``roots``.

    Templates may show images and stylesheets shipped beside them; a value from the
    database that ends up in a ``src`` attribute must not make the server read
    ``/etc/passwd`` or call an internal URL while printing.
    """
    from urllib.parse import urlsplit
    from urllib.request import url2pathname

    from weasyprint.urls import URLFetcher

    resolved = [root.resolve() for root in roots]

    class TemplateFilesFetcher(URLFetcher):
        def fetch(self, url: str, headers: Any = None) -> Any:
            parts = urlsplit(url)
            if parts.scheme == "file":
                path = Path(url2pathname(parts.path)).resolve()
                if not any(path.is_relative_to(root) for root in resolved):
                    raise ValueError(f"{url} is outside the report templates directories")
            elif parts.scheme != "data":
                raise ValueError(f"{url}: reports may only use template files and data: URLs")
            return super().fetch(url, headers)

    return TemplateFilesFetcher(allowed_protocols=("file", "data"))
