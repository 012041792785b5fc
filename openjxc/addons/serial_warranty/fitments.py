"""Which accessory serial is fitted to which host serial (配件装机记录).

An accessory is fitted to at most one host at a time, and only when the catalog relates
the two products: the accessory's product is ``accessory_of`` or ``spare_part_of`` the
host's.  :func:`swap_fitment` keeps the record right when service replaces a part: the
removed unit comes off the host and the fitted one goes on — a unit of the same product
as the one it replaces needs no catalog relation (it is the same part).

Error codes: ``INVALID``, ``NOT_FOUND``, ``NOT_RELATED``, ``ALREADY_FITTED``,
``NOT_FITTED``.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from openjxc.addons.base_jxc.catalog.models import ProductRelation
from openjxc.addons.base_jxc.stock.models import SerialNumber
from openjxc.addons.base_jxc.stock.posting import business_today
from openjxc.core.errors import FieldError, ValidationFailed
from openjxc.core.i18n import _

from .models import Fitment

FITTING_RELATIONS = ("accessory_of", "spare_part_of")


def _units(session: Session, ids: list[int | None]) -> dict[int, tuple[str, int, date]]:
    """``{id: (number, product id, received on)}``."""
    wanted = sorted({i for i in ids if i})
    return {row.id: (row.number, row.product_id, row.received_on) for row in session.execute(
        select(SerialNumber.id, SerialNumber.number, SerialNumber.product_id,
               SerialNumber.received_on)
        .where(SerialNumber.id.in_(wanted)))} if wanted else {}


def _fitted(session: Session, accessory_serial_id: int) -> Fitment | None:
    return session.scalars(select(Fitment).where(
        Fitment.accessory_serial_id == accessory_serial_id,
        Fitment.removed_on.is_(None))).first()


def _related(session: Session, accessory_product_id: int, host_product_id: int) -> bool:
    return session.scalar(select(ProductRelation.id).where(
        ProductRelation.kind.in_(FITTING_RELATIONS),
        ProductRelation.product_id == accessory_product_id,
        ProductRelation.related_id == host_product_id).limit(1)) is not None


def _day(session: Session, errors: list[FieldError], on: date | None,
         field: str) -> date | None:
    day = business_today(session) if on is None else on
    if not isinstance(day, date):
        errors.append(FieldError("INVALID", _("Give a date"), field=field))
        return None
    return day


def fit_accessory(session: Session, host_serial_id: int | None,
                  accessory_serial_id: int | None, *, on: date | None = None,
                  same_as_product_id: int | None = None) -> Fitment:
    """Fit an accessory unit to a host unit on ``on`` (default: today).

    ``same_as_product_id``: the product of a unit this one replaces on the host (it then
    needs no catalog relation); used by :func:`swap_fitment`.
    """
    errors: list[FieldError] = []
    day = _day(session, errors, on, "fittedOn")
    units = _units(session, [host_serial_id, accessory_serial_id])
    host = units.get(host_serial_id or 0)
    accessory = units.get(accessory_serial_id or 0)
    if host is None:
        errors.append(FieldError("NOT_FOUND", _("Unknown serial number"), field="hostSerial"))
    if accessory is None:
        errors.append(FieldError("NOT_FOUND", _("Unknown serial number"),
                                 field="accessorySerial"))
    if errors:
        raise ValidationFailed(errors)
    assert host is not None and accessory is not None and day is not None
    assert host_serial_id is not None and accessory_serial_id is not None
    if host_serial_id == accessory_serial_id:
        errors.append(FieldError("INVALID", _("A unit cannot be fitted to itself"),
                                 field="accessorySerial"))
    elif same_as_product_id != accessory[1] and not _related(session, accessory[1], host[1]):
        errors.append(FieldError(
            "NOT_RELATED", _("{accessory} cannot be fitted to {host}: the catalog does not "
                             "list its product as an accessory or spare part of the host's"),
            field="accessorySerial", accessory=accessory[0], host=host[0]))
    for unit in (host, accessory):
        if day < unit[2]:  # a unit is fitted only once it was in the company's hands
            errors.append(FieldError("INVALID", _("{serial} was received on {received} and "
                                                   "cannot be fitted before"),
                                     field="fittedOn", serial=unit[0], received=unit[2]))
    current = _fitted(session, accessory_serial_id)
    if current is not None:
        fitted_to = _units(session, [current.host_serial_id]).get(current.host_serial_id)
        errors.append(FieldError("ALREADY_FITTED", _("{accessory} is already fitted to {host}"),
                                 field="accessorySerial", accessory=accessory[0],
                                 host=fitted_to[0] if fitted_to else "?"))
    if errors:
        raise ValidationFailed(errors)
    fitment = Fitment(host_serial_id=host_serial_id, accessory_serial_id=accessory_serial_id,
                      fitted_on=day)
    session.add(fitment)
    session.flush()
    return fitment


def remove_accessory(session: Session, accessory_serial_id: int | None, *,
                     on: date | None = None) -> Fitment:
    """Take an accessory unit off the host it is fitted to, on ``on`` (default: today)."""
    errors: list[FieldError] = []
    day = _day(session, errors, on, "removedOn")
    units = _units(session, [accessory_serial_id])
    accessory = units.get(accessory_serial_id or 0)
    if accessory is None:
        errors.append(FieldError("NOT_FOUND", _("Unknown serial number"),
                                 field="accessorySerial"))
        raise ValidationFailed(errors)
    assert accessory_serial_id is not None
    current = _fitted(session, accessory_serial_id)
    if current is None:
        errors.append(FieldError("NOT_FITTED", _("{accessory} is not fitted to any unit"),
                                 field="accessorySerial", accessory=accessory[0]))
    elif day is not None and day < current.fitted_on:
        errors.append(FieldError("INVALID", _("It cannot come off before it was fitted on "
                                               "{fitted}"), field="removedOn",
                                 fitted=current.fitted_on))
    if errors:
        raise ValidationFailed(errors)
    assert current is not None and day is not None
    current.removed_on = day
    session.flush()
    return current


def swap_fitment(session: Session, host_serial_id: int, removed_serial_id: int | None,
                 fitted_serial_id: int | None, on: date) -> Fitment | None:
    """A part of the host was replaced on ``on``: ``removed_serial_id`` comes off (when it
    was recorded on this host) and ``fitted_serial_id`` goes on; the new fitment, or
    None when nothing was fitted.  Refuses like :func:`fit_accessory`."""
    removed_product: int | None = None
    if removed_serial_id:
        current = _fitted(session, removed_serial_id)
        if current is not None and current.host_serial_id == host_serial_id:
            remove_accessory(session, removed_serial_id, on=on)
        unit = _units(session, [removed_serial_id]).get(removed_serial_id)
        removed_product = unit[1] if unit is not None else None
    if not fitted_serial_id:
        return None
    return fit_accessory(session, host_serial_id, fitted_serial_id, on=on,
                         same_as_product_id=removed_product)
