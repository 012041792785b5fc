"""What the service desk configures: SLA hours per type × priority, labour rates per type,
teams, technicians' vans and which products need installation.

The SLA and rate tables are seeded at install with the defaults below (documented in the
addon's docstring); an order copies its SLA due time when it is reported and a labour
entry copies the rates of the day, so a change applies to what comes after it.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from openjxc.addons.base_jxc.catalog.models import Product
from openjxc.addons.base_jxc.stock.models import Location, Warehouse
from openjxc.addons.base_jxc.stock.warehouses import warehouse_location
from openjxc.core.errors import FieldError, ValidationFailed
from openjxc.core.i18n import _
from openjxc.core.security.models import User
from openjxc.core.validation import check_decimal, check_text

from .models import (
    PRIORITIES,
    TYPES,
    ServiceLabourRate,
    ServiceProductSetting,
    ServiceSla,
    ServiceTeam,
    ServiceTeamMember,
    ServiceTechnician,
)

#: Hours from report to done, per type and priority (urgent, high, normal, low).
DEFAULT_SLA_HOURS: dict[tuple[str, str], int] = {
    **{("installation", p): h for p, h in zip(("urgent", "high", "normal", "low"),
                                              (24, 48, 72, 168), strict=True)},
    **{("repair", p): h for p, h in zip(("urgent", "high", "normal", "low"),
                                        (4, 24, 48, 120), strict=True)},
    **{("maintenance", p): h for p, h in zip(("urgent", "high", "normal", "low"),
                                             (8, 48, 120, 240), strict=True)},
    **{("inspection", p): h for p, h in zip(("urgent", "high", "normal", "low"),
                                            (8, 24, 72, 168), strict=True)},
}
#: Per type: (billed per hour, internal cost per hour, VAT rate of the labour line).
DEFAULT_LABOUR_RATES: dict[str, tuple[Decimal, Decimal, Decimal]] = {
    "installation": (Decimal("200.00"), Decimal("120.00"), Decimal("0.09")),
    "repair": (Decimal("150.00"), Decimal("90.00"), Decimal("0.13")),
    "maintenance": (Decimal("120.00"), Decimal("80.00"), Decimal("0.06")),
    "inspection": (Decimal("100.00"), Decimal("70.00"), Decimal("0.06")),
}
MAX_SLA_HOURS = 24 * 365
MAX_MEMBERS = 200


def seed_defaults(session: Session) -> None:
    """The default SLA hours and labour rates, for whatever is not configured yet."""
    have_sla = {(t, p) for t, p in session.execute(select(ServiceSla.type, ServiceSla.priority))}
    session.add_all(ServiceSla(type=t, priority=p, hours=h)
                    for (t, p), h in DEFAULT_SLA_HOURS.items() if (t, p) not in have_sla)
    have_rate = set(session.scalars(select(ServiceLabourRate.type)))
    session.add_all(ServiceLabourRate(type=t, rate=r, internal_rate=i, tax_rate=x)
                    for t, (r, i, x) in DEFAULT_LABOUR_RATES.items() if t not in have_rate)
    session.flush()


# -- shared checks ------------------------------------------------------------------------

def check_choice(errors: list[FieldError], value: object, choices: Sequence[str],
                 field: str | tuple[str, ...]) -> str | None:
    if not isinstance(value, str) or value not in choices:
        errors.append(FieldError("INVALID", _("Must be one of {choices}"), field=field,
                                 choices=", ".join(choices)))
        return None
    return value


def typed_key(errors: list[FieldError], value: str | None, field: str | tuple[str, ...],
              max_length: int = 64) -> str:
    """A code, number or username as typed, stripped and cut to ``max_length``; "" with
    an error when it holds a NUL character — no stored key does, and PostgreSQL refuses
    one in a query (a server error instead of a clear answer)."""
    before = len(errors)
    text = check_text(errors, value, field, max_length=sys.maxsize)  # NUL: refused there
    return "" if len(errors) > before else text[:max_length]


def check_user(session: Session, errors: list[FieldError], user_id: object,
               field: str | tuple[str, ...]) -> int | None:
    """An active user's id, else an error."""
    if isinstance(user_id, bool) or not isinstance(user_id, int):
        errors.append(FieldError("NOT_FOUND", _("Unknown user"), field=field))
        return None
    if session.scalar(select(User.id).where(User.id == user_id, User.active)) is None:
        errors.append(FieldError("NOT_FOUND", _("Unknown user"), field=field))
        return None
    return user_id


def user_id_by_name(session: Session, errors: list[FieldError], username: str | None,
                    field: str | tuple[str, ...]) -> int | None:
    """The id of the active user called ``username`` (None when none was named)."""
    from openjxc.core.security.users import username_key

    name = typed_key(errors, username, field)
    if not name:
        return None
    found = session.scalar(select(User.id).where(User.username_key == username_key(name),
                                                 User.active))
    if found is None:
        errors.append(FieldError("NOT_FOUND", _("Unknown user {username}"), field=field,
                                 username=name))
    return found


# -- SLA and labour rates -----------------------------------------------------------------

def sla_hours(session: Session, type: str, priority: str) -> int:
    """The hours an order of ``type`` and ``priority`` may take (the default when the
    table has no row for it)."""
    found = session.scalar(select(ServiceSla.hours).where(ServiceSla.type == type,
                                                          ServiceSla.priority == priority))
    return found if found is not None else DEFAULT_SLA_HOURS[(type, priority)]


def set_sla(session: Session, *, type: str, priority: str, hours: int) -> ServiceSla:
    """Change the SLA hours of a type and priority (orders already reported keep theirs)."""
    errors: list[FieldError] = []
    check_choice(errors, type, TYPES, "type")
    check_choice(errors, priority, PRIORITIES, "priority")
    if isinstance(hours, bool) or not isinstance(hours, int) or not 0 < hours <= MAX_SLA_HOURS:
        errors.append(FieldError("INVALID", _("Hours must be between 1 and {max}"),
                                 field="hours", max=MAX_SLA_HOURS))
    if errors:
        raise ValidationFailed(errors)
    row = session.get(ServiceSla, (type, priority))
    if row is None:
        row = ServiceSla(type=type, priority=priority, hours=hours)
        session.add(row)
    else:
        row.hours = hours
    session.flush()
    return row


def sla_table(session: Session) -> list[ServiceSla]:
    """Every type × priority with its hours (defaults filled in), in a stable order."""
    rows = {(r.type, r.priority): r.hours for r in session.scalars(select(ServiceSla))}
    return [ServiceSla(type=t, priority=p, hours=rows.get((t, p), DEFAULT_SLA_HOURS[(t, p)]))
            for t in TYPES for p in PRIORITIES]


def labour_rate(session: Session, type: str) -> tuple[Decimal, Decimal, Decimal]:
    """(billed per hour, internal per hour, VAT rate) of ``type``."""
    row = session.get(ServiceLabourRate, type)
    if row is None:
        return DEFAULT_LABOUR_RATES[type]
    return row.rate, row.internal_rate, row.tax_rate


def set_labour_rate(session: Session, *, type: str, rate: Decimal, internal_rate: Decimal,
                    tax_rate: Decimal) -> ServiceLabourRate:
    """Change a type's labour rates (labour already recorded keeps its rates)."""
    errors: list[FieldError] = []
    check_choice(errors, type, TYPES, "type")
    rate_ = check_decimal(errors, rate, "rate", places=2)
    internal = check_decimal(errors, internal_rate, "internalRate", places=2)
    # Invoicing takes rates from 0 up to, not including, 100 %: a rate of 1 would make
    # every order of the type impossible to complete.
    tax = check_decimal(errors, tax_rate, "taxRate", places=4, maximum=Decimal(1),
                        maximum_exclusive=True)
    if errors:
        raise ValidationFailed(errors)
    assert rate_ is not None and internal is not None and tax is not None
    row = session.get(ServiceLabourRate, type)
    if row is None:
        row = ServiceLabourRate(type=type, rate=rate_, internal_rate=internal, tax_rate=tax)
        session.add(row)
    else:
        row.rate, row.internal_rate, row.tax_rate = rate_, internal, tax
    session.flush()
    return row


# -- products, technicians, teams ---------------------------------------------------------

def set_product_setting(session: Session, *, product_id: int | None,
                        needs_installation: bool) -> ServiceProductSetting:
    """Say whether delivering ``product_id`` calls for an installation order."""
    errors: list[FieldError] = []
    if not isinstance(needs_installation, bool):
        errors.append(FieldError("INVALID", _("Must be true or false"),
                                 field="needsInstallation"))
    if isinstance(product_id, bool) or not isinstance(product_id, int) or session.get(
            Product, product_id) is None:
        errors.append(FieldError("NOT_FOUND", _("Unknown product"), field="productCode"))
    if errors:
        raise ValidationFailed(errors)
    assert product_id is not None
    row = session.get(ServiceProductSetting, product_id)
    if row is None:
        row = ServiceProductSetting(product_id=product_id, needs_installation=needs_installation)
        session.add(row)
    else:
        row.needs_installation = needs_installation
    session.flush()
    return row


def needs_installation(session: Session, product_ids: Sequence[int]) -> set[int]:
    """Which of ``product_ids`` are flagged "needs installation" (one statement)."""
    if not product_ids:
        return set()
    return set(session.scalars(select(ServiceProductSetting.product_id).where(
        ServiceProductSetting.product_id.in_(set(product_ids)),
        ServiceProductSetting.needs_installation)))


def set_technician(session: Session, *, user_id: int | None,
                   warehouse_id: int | None) -> ServiceTechnician:
    """Give a technician a van: parts come out of that warehouse's main stock."""
    errors: list[FieldError] = []
    check_user(session, errors, user_id, "username")
    warehouse = (session.get(Warehouse, warehouse_id)
                 if isinstance(warehouse_id, int) and not isinstance(warehouse_id, bool)
                 else None)
    if warehouse is None or not warehouse.active:
        errors.append(FieldError("NOT_FOUND", _("Unknown warehouse"), field="warehouseCode"))
    if errors:
        raise ValidationFailed(errors)
    assert user_id is not None and warehouse is not None
    location = warehouse_location(session, warehouse.id, "internal").id
    row = session.get(ServiceTechnician, user_id)
    if row is None:
        row = ServiceTechnician(user_id=user_id, location_id=location)
        session.add(row)
    else:
        row.location_id = location
    session.flush()
    return row


def van_of(session: Session, user_id: int | None) -> Location | None:
    """The stock location of a technician's van (None: no van)."""
    if user_id is None:
        return None
    row = session.get(ServiceTechnician, user_id)
    return session.get(Location, row.location_id) if row is not None else None


def save_team(session: Session, *, code: str, name: str,
              member_ids: Sequence[int | None]) -> ServiceTeam:
    """Create a team, or replace the name and members of the team with ``code``."""
    errors: list[FieldError] = []
    code = check_text(errors, code, "code", max_length=32, required=True)
    name = check_text(errors, name, "name", max_length=128, required=True)
    if len(member_ids) > MAX_MEMBERS:
        errors.append(FieldError("INVALID", _("At most {max} members"), field="members",
                                 max=MAX_MEMBERS))
    members: list[int] = []
    for i, member in enumerate(member_ids[:MAX_MEMBERS]):
        found = check_user(session, errors, member, ("members", str(i)))
        if found is not None and found not in members:
            members.append(found)
    if errors:
        raise ValidationFailed(errors)
    team = session.scalar(select(ServiceTeam).where(ServiceTeam.code == code))
    if team is None:
        team = ServiceTeam(code=code, name=name)
        session.add(team)
        session.flush()
    else:
        team.name = name
        session.execute(delete(ServiceTeamMember).where(ServiceTeamMember.team_id == team.id))
    session.add_all(ServiceTeamMember(team_id=team.id, user_id=m) for m in members)
    session.flush()
    return team


def teams_of(session: Session, user_id: int) -> list[int]:
    return list(session.scalars(select(ServiceTeamMember.team_id)
                                .where(ServiceTeamMember.user_id == user_id)))


def team_members(session: Session, team_ids: Sequence[int]) -> dict[int, list[Any]]:
    """``team id → [(user id, username)]`` (one statement)."""
    found: dict[int, list[Any]] = {t: [] for t in team_ids}
    for team_id, user_id, username in session.execute(
            select(ServiceTeamMember.team_id, User.id, User.username)
            .join(User, User.id == ServiceTeamMember.user_id)
            .where(ServiceTeamMember.team_id.in_(set(team_ids)))
            .order_by(User.username)):
        found[team_id].append((user_id, username))
    return found
