"""Who may work on an order: a technician works on the orders assigned to them or to one
of their teams, and takes parts only out of their own van; whoever may assign orders
(``service.order.assign`` — the dispatcher, the service manager) may act on any.

Checked in the API (the services trust their callers, as everywhere); refused as
``FORBIDDEN``, like a warehouse outside one's scope.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session
from strawberry.types import Info

from openjxc.graphql.errors import Forbidden

from . import models

DISPATCH = "service.order.assign"


def dispatches(info: Info[Any, Any]) -> bool:
    principal = getattr(info.context, "principal", None)
    return DISPATCH in getattr(principal, "permissions", frozenset())


def require_own_order(info: Info[Any, Any], session: Session, order_id: int | None) -> None:
    """Refuse work on an order neither assigned to the caller nor to a team of theirs (an
    unknown order is left for the service to refuse with ``NOT_FOUND``)."""
    if order_id is None or dispatches(info):
        return
    me = getattr(getattr(info.context, "principal", None), "user_id", None)
    row = session.execute(select(models.ServiceOrder.assignee_id, models.ServiceOrder.team_id)
                          .where(models.ServiceOrder.id == order_id)).first()
    if row is None:
        return
    if me is not None and row.assignee_id == me:
        return
    if me is not None and row.team_id is not None and session.scalar(
            select(models.ServiceTeamMember.user_id)
            .where(models.ServiceTeamMember.team_id == row.team_id,
                   models.ServiceTeamMember.user_id == me)) is not None:
        return
    raise Forbidden("You may only work on service orders assigned to you or your team.",
                    extensions={"permission": DISPATCH})


def require_own_van(info: Info[Any, Any], technician_id: int | None) -> None:
    """Only a dispatcher records work (and parts out of the van) of another technician."""
    me = getattr(getattr(info.context, "principal", None), "user_id", None)
    if technician_id is not None and technician_id != me and not dispatches(info):
        raise Forbidden("You may only record your own work and take parts out of your own "
                        "van.", extensions={"permission": DISPATCH})
