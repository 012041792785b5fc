"""Audits shared by the documents that post stock (receipts, deliveries): a posted document
has every move its lines name and no move points to a document that does not name it.

"Half-posted" means any of: a header without lines, a line without the move it names (or
with a move of another document, product or quantity), a move whose document is missing or
does not name it.  Posting writes all of them in one transaction, so a crash leaves the
whole document or nothing; these audits prove it after the fact.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, and_, or_, select, union_all
from sqlalchemy.orm import Session

from openjxc.core.checks import REPORT_LIMIT, Violation, limited

from .models import StockMove


@dataclass(frozen=True)
class Link:
    """A line's column naming a move, the quantity that move must carry, and when the line
    has such a move at all."""

    move_id: Any
    quantity: Any
    expected: ColumnElement[bool]


def half_posted(session: Session, *, origin: str, header: Any, line: Any, line_header: Any,
                line_product: Any, links: list[Link], what: str) -> list[Violation]:
    """Every kind of half-posting of one document type, in set-based statements."""
    found: list[Violation] = []
    # a header without lines
    for number, in session.execute(
            select(header.number).outerjoin(line, line_header == header.id)
            .where(line.id.is_(None)).limit(REPORT_LIMIT + 1)):
        found.append(Violation("posted without any line", subject=f"{what} {number}"))
    # a line without its move (or with another document's move)
    for link in links:
        bad = or_(StockMove.id.is_(None), StockMove.origin_type != origin,
                  StockMove.origin_id != line_header, StockMove.product_id != line_product,
                  StockMove.quantity != link.quantity)
        for number, line_id, move_id in session.execute(
                select(header.number, line.id, link.move_id)
                .join(header, header.id == line_header)
                .outerjoin(StockMove, StockMove.id == link.move_id)
                .where(link.expected, bad).limit(REPORT_LIMIT + 1)):
            found.append(Violation(f"line {line_id} lacks its stock move ({move_id}) or names "
                                   f"another one", subject=f"{what} {number}"))
    # a move of a document of this type that no line of that document names (history
    # and imports post moves of the type without a document: origin_id NULL)
    named = union_all(*[select(link.move_id.label("move_id"), line_header.label("doc"))
                        .where(link.expected) for link in links]).subquery()
    for move_id, origin_id in session.execute(
            select(StockMove.id, StockMove.origin_id)
            .outerjoin(named, and_(named.c.move_id == StockMove.id,
                                   named.c.doc == StockMove.origin_id))
            .where(StockMove.origin_type == origin, StockMove.origin_id.is_not(None),
                   named.c.move_id.is_(None))
            .limit(REPORT_LIMIT + 1)):
        found.append(Violation(f"stock move {move_id} belongs to no line of its document",
                               subject=f"{what} #{origin_id}"))
    return limited(found, "half-posted documents")
