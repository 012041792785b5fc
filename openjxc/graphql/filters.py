"""Filter inputs other addons extend: ``FilterField`` and ``apply_filter_extensions``.

``base_jxc`` owns ``ProductFilter`` and the ``products`` query; ``serial_warranty`` wants
``products(filter: {underWarranty: true})`` without ``base_jxc`` knowing it exists.  The
extender contributes a :class:`FilterField`; the kernel adds it to the edition's
``ProductFilter`` input; the owner's resolver passes its statement through
:func:`apply_filter_extensions`, which applies every extension filter the client set::

    def products(info: Info, filter: ProductFilter | None = None, ...) -> ...:
        stmt = select(ProductRow)
        if filter and filter.code_prefix:
            stmt = stmt.where(ProductRow.code.startswith(filter.code_prefix))
        stmt = apply_filter_extensions(info, "ProductFilter", stmt, filter)
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select
from strawberry.types import Info
from strawberry.types.unset import UNSET

from openjxc.graphql.edition import composition_of


@dataclass(frozen=True)
class FilterField:
    """An input field added to another addon's filter input type.

    ``name`` is the Python name (``under_warranty``; GraphQL shows ``underWarranty``),
    ``type`` its annotation (always made optional), and ``apply(stmt, value, info)``
    returns ``stmt`` narrowed by ``value`` — only called when the client set a value.
    """

    name: str
    type: Any
    apply: Callable[[Select[Any], Any, Info[Any, Any]], Select[Any]]
    description: str | None = None


def apply_filter_extensions(info: Info[Any, Any], input_type: str, stmt: Select[Any],
                            filter_value: Any) -> Select[Any]:
    """Apply the filters other addons added to ``input_type`` in this edition.

    ``filter_value`` is the instance the resolver received (or ``None``); the edition's
    input class carries the extension fields as attributes.
    """
    composition = composition_of(info)
    if input_type not in composition.input_types:
        raise LookupError(f"{input_type!r} is not an input type of this edition")
    if filter_value is None:
        return stmt
    for _owner, extension in composition.filters.get(input_type, ()):
        value = getattr(filter_value, extension.name, None)
        if value is not None and value is not UNSET:
            stmt = extension.apply(stmt, value, info)
    return stmt
