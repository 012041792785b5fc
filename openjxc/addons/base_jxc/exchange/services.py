"""Importing a file: plain Python, called by the CLI, the GraphQL API and tests.

    result = import_file(session, "products", "产品.xlsx", content, dry_run=True)
    if not result.ok:
        print("\\n".join(format_report(result.errors)))

All or nothing: the importer runs inside a savepoint that is rolled back when any row is
refused (or for a dry run), so a file is either wholly imported or not at all, and the
report lists every refused row at once.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

from sqlalchemy.orm import Session

from openjxc.core.errors import FieldError
from openjxc.core.i18n import _

from .context import ImportContext
from .readers import FileRefused, Sheet, read_sheet
from .report import KINDS, ImportLimits, ImportResult, RowError

Importer = Callable[[Session, Sheet, ImportContext], int]

#: What the caller must be allowed to create, besides ``exchange.import``, per kind.
PERMISSIONS = {
    "products": ("catalog.product.create",),
    "partners": ("partner.partner.create",),
    "opening_stock": ("stock.move.create",),
}


def importer(kind: str) -> Importer:
    """The function that imports files of ``kind`` (one of :data:`KINDS`)."""
    if kind == "products":
        from .products import import_products

        return import_products
    if kind == "partners":
        from .partners import import_partners

        return import_partners
    if kind == "opening_stock":
        from .opening_stock import import_opening_stock

        return import_opening_stock
    raise ValueError(f"unknown import kind {kind!r}; one of {', '.join(KINDS)}")


def import_file(session: Session, kind: str, filename: str, content: bytes, *,
                dry_run: bool = False, limits: ImportLimits | None = None,
                user_id: int | None = None, may_manage_credit: bool = True,
                move_date: date | None = None) -> ImportResult:
    """Import ``content`` (an .xlsx or .csv file named ``filename``) as ``kind``.

    Returns an :class:`ImportResult`; when it has errors, or for a ``dry_run``, the
    database is as it was.  ``may_manage_credit`` lets partner rows set credit limits;
    ``move_date`` dates opening stock (default: today in the company's time zone).
    """
    run = importer(kind)
    result = ImportResult(kind=kind, dry_run=dry_run)
    try:
        sheet = read_sheet(filename, content, limits or ImportLimits.from_env())
    except FileRefused as refused:
        result.errors.append(refused.error)
        return result
    result.rows = len(sheet.rows)
    if not sheet.rows:
        result.errors.append(RowError.of(None, None, FieldError(
            "EMPTY_FILE", _("The file has a header but no rows"))))
        return result
    context = ImportContext(user_id=user_id, may_manage_credit=may_manage_credit,
                            move_date=move_date)
    savepoint = session.begin_nested()
    try:
        imported = run(session, sheet, context)
    except BaseException:
        savepoint.rollback()
        raise
    if context.errors or dry_run:
        savepoint.rollback()
        session.expire_all()
    else:
        savepoint.commit()
    result.errors = sorted(context.errors, key=lambda e: (e.row or 0, e.column or ""))
    result.imported = 0 if context.errors else imported
    result.serials = 0 if context.errors else context.serials
    return result
