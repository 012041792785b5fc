"""Relay IDs of the planning API's arguments and inputs, decoded to primary keys."""

from __future__ import annotations

from collections.abc import Sequence

from openjxc.graphql import BadUserInput

from ..purchase.api_inputs import UNKNOWN, pk


def maybe_pk(global_id: str | None, type_name: str) -> int | None:
    """The primary key behind a global ID of ``type_name``; None for anything else (the
    service then refuses with ``NOT_FOUND`` at the input's field)."""
    found = pk(global_id, type_name)
    return None if found == UNKNOWN else found


def pk_of(global_id: str, type_name: str, argument: str) -> int:
    """The primary key of a query argument; ``BAD_USER_INPUT`` when it is not an ID of
    ``type_name``."""
    found = maybe_pk(global_id, type_name)
    if found is None:
        raise BadUserInput(f"{argument}: not the ID of a {type_name}",
                           extensions={"field": [argument]})
    return found


def pks_of(global_ids: Sequence[str], type_name: str, argument: str) -> list[int]:
    return [pk_of(g, type_name, argument) for g in global_ids]
