"""The stock chapter's GraphQL face, assembled: types in :mod:`.api_types`, reading in
:mod:`.api_queries` and :mod:`.api_scan`, changing in :mod:`.api_mutations`."""

from __future__ import annotations

from openjxc.graphql import Contribution

from . import api_mutations, api_queries, api_scan
from .api_types import (
    Batch,
    Location,
    LocationKind,
    SerialNumber,
    SerialState,
    StockError,
    StockErrorCode,
    StockLevel,
    StockMove,
    Warehouse,
    WarehouseKind,
)


def contribution() -> Contribution:
    return Contribution(
        types=[Warehouse, Location, Batch, SerialNumber, StockMove, StockLevel, WarehouseKind,
               LocationKind, SerialState, StockErrorCode, StockError, *api_queries.TYPES,
               *api_scan.TYPES, *api_mutations.TYPES],
        queries=[*api_queries.query_fields(), *api_scan.query_fields()],
        mutations=api_mutations.mutation_fields(),
    )
