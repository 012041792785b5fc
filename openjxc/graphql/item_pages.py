"""Connections over lists computed in Python (forecasts, suggestions, scores).

Some lists of the API are computed, not selected: a forecast per product, a purchase
suggestion per product, a score per supplier.  They are still connections (API.md), paged
with the same signed cursors and the same page-size cap as :func:`paginate`::

    def purchase_suggestions(info, warehouse_id, first=None, after=None, last=None,
                             before=None) -> Connection[PurchaseSuggestion]:
        found = suggestions.purchase_suggestions(session, wid)
        return paginate_items(found, key=lambda s: (s.product_id,), list_name="suggestions",
                              first=first, after=after, last=last, before=before,
                              to_node=PurchaseSuggestion.of, info=info)

``key`` must be unique per item and made of cursor-safe values (int, str, Decimal, date…);
the items are ordered by it.  A cursor of another list is refused.
"""

from __future__ import annotations

import bisect
import hashlib
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from strawberry.types import Info

from openjxc.graphql.edition import composition_of
from openjxc.graphql.pagination import (
    Connection,
    Edge,
    PageInfo,
    _Key,
    _page_size,
    decode_cursor,
    encode_cursor,
)

ItemT = TypeVar("ItemT")
NodeT = TypeVar("NodeT")


def paginate_items(items: Sequence[ItemT], *, key: Callable[[ItemT], tuple[Any, ...]],
                   list_name: str, first: int | None = None, after: str | None = None,
                   last: int | None = None, before: str | None = None,
                   to_node: Callable[[ItemT], NodeT], info: Info[Any, Any],
                   ) -> Connection[NodeT]:
    """One page of ``items`` in the order of ``key`` (see the module)."""
    settings = composition_of(info).settings
    limit, backward = _page_size(first, last, settings)
    ordered = sorted(items, key=key)
    keys = [key(item) for item in ordered]
    width = len(keys[0]) if keys else 1
    cursor_keys = [_Key(f"{list_name}.{i}", False) for i in range(width)]
    signature = hashlib.sha256(f"items:{list_name}:{width}".encode()).hexdigest()[:10]
    start, stop = 0, len(ordered)
    if after is not None:
        start = bisect.bisect_right(
            keys, tuple(decode_cursor(after, signature, width, settings.secret_key)))
    if before is not None:
        stop = bisect.bisect_left(
            keys, tuple(decode_cursor(before, signature, width, settings.secret_key)))
    stop = max(start, stop)
    if backward:
        chosen = range(max(start, stop - limit), stop)
        more = stop - start > limit
    else:
        chosen = range(start, min(stop, start + limit))
        more = stop - start > limit
    edges = [Edge(cursor=encode_cursor(signature, keys[i], cursor_keys, settings.secret_key),
                  node=to_node(ordered[i])) for i in chosen]
    page_info = PageInfo(
        has_next_page=(stop < len(ordered)) if backward else more,
        has_previous_page=more if backward else start > 0,
        start_cursor=edges[0].cursor if edges else None,
        end_cursor=edges[-1].cursor if edges else None,
    )
    total = len(ordered)
    return Connection(edges=edges, page_info=page_info, counter=lambda: total)
