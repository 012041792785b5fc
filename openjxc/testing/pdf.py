"""Reading PDFs in tests: which fonts a document uses and whether they are embedded, and
its text (pypdf, a test dependency, is imported when used).

Every PDF test of a document with Chinese text checks ``cjk_fonts_embedded(pdf)``: a CJK
font is used and its program travels with the file.
"""

from __future__ import annotations

import io
from typing import Any


def embedded_fonts(pdf: bytes) -> dict[str, bool]:
    """Every font the pages use (composite fonts through their descendants), and whether
    its font program is embedded in the file."""
    from pypdf import PdfReader

    found: dict[str, bool] = {}

    def visit(font: Any) -> None:
        font = font.get_object()
        descriptor = font.get("/FontDescriptor")
        embedded = descriptor is not None and any(
            key in descriptor.get_object() for key in ("/FontFile", "/FontFile2", "/FontFile3"))
        if "/BaseFont" in font and (descriptor is not None or "/DescendantFonts" not in font):
            found[str(font["/BaseFont"])] = embedded
        for descendant in font.get("/DescendantFonts", []):
            visit(descendant)

    for page in PdfReader(io.BytesIO(pdf)).pages:
        resources = page.get("/Resources")
        fonts = resources.get_object().get("/Font") if resources is not None else None
        for ref in (fonts.get_object() if fonts is not None else {}).values():
            visit(ref)
    return found


def cjk_fonts_embedded(pdf: bytes) -> bool:
    """Whether the PDF uses a CJK font (WenQuanYi or Noto CJK) and embeds every one."""
    fonts = embedded_fonts(pdf)
    cjk = [name for name in fonts
           if "WenQuanYi" in name or ("Noto" in name and ("CJK" in name or "SC" in name))]
    return bool(cjk) and all(fonts[name] for name in cjk)


def pdf_text(pdf: bytes) -> str:
    """The PDF's text without whitespace (line breaks fall where the layout puts them)."""
    from pypdf import PdfReader

    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)
    return "".join(text.split())
