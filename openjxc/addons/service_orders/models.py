"""Work orders (工单) and what they are made of: devices, records, labour, parts; the
settings behind them: SLA hours, labour rates, teams, technicians' vans and which products
need installation.

States: ``new`` → ``assigned`` → ``in_progress`` → ``done`` → ``closed``, and
``cancelled`` from new, assigned or in progress (see :mod:`.orders`).
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
)
from sqlalchemy.orm import Mapped, mapped_column

from openjxc.core.models import Base, Money, Quantity, Rate, UnitCost, UTCDateTime, utcnow

NEW = "new"
ASSIGNED = "assigned"
IN_PROGRESS = "in_progress"
DONE = "done"
CLOSED = "closed"
CANCELLED = "cancelled"
STATES = (NEW, ASSIGNED, IN_PROGRESS, DONE, CLOSED, CANCELLED)
#: Still to be worked on (the SLA clock runs, the overdue alert looks at them).
OPEN_STATES = (NEW, ASSIGNED, IN_PROGRESS)

TYPES = ("installation", "repair", "maintenance", "inspection")
PRIORITIES = ("low", "normal", "high", "urgent")
SOURCES = ("staff", "customer", "delivery")


class ServiceOrder(Base):
    """A work order at a customer's site: ``FW-202611-0001``."""

    __tablename__ = "svc_order"
    __table_args__ = (
        Index("ix_svc_order_state_due", "state", "due_at"),
        CheckConstraint("rating IS NULL OR (rating >= 1 AND rating <= 5)", name="rating_range"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    number: Mapped[str] = mapped_column(String(32), unique=True)
    #: installation / repair / maintenance / inspection
    type: Mapped[str] = mapped_column(String(16))
    #: low / normal / high / urgent
    priority: Mapped[str] = mapped_column(String(8), default="normal")
    #: staff / customer / delivery
    source: Mapped[str] = mapped_column(String(8), default="staff")
    state: Mapped[str] = mapped_column(String(16), default=NEW)
    customer_id: Mapped[int] = mapped_column(ForeignKey("jxc_partner.id"), index=True)
    #: The site: one of the customer's addresses.
    address_id: Mapped[int | None] = mapped_column(ForeignKey("jxc_partner_address.id"),
                                                   nullable=True)
    #: The delivery an installation order was made for (one order per delivery and site).
    delivery_id: Mapped[int | None] = mapped_column(ForeignKey("jxc_sales_delivery.id"),
                                                    nullable=True, unique=True)
    description: Mapped[str] = mapped_column(String(1000), default="")
    reported_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    planned_date: Mapped[date | None] = mapped_column(Date, nullable=True)
    #: reported_at + the SLA hours of its type and priority when it was reported.
    due_at: Mapped[datetime] = mapped_column(UTCDateTime())
    assignee_id: Mapped[int | None] = mapped_column(Integer, nullable=True, index=True)
    team_id: Mapped[int | None] = mapped_column(ForeignKey("svc_team.id"), nullable=True,
                                                index=True)
    #: Set by extenders (``set_coverage``); without one nothing is covered.
    covers_parts: Mapped[bool] = mapped_column(Boolean, default=False)
    covers_labour: Mapped[bool] = mapped_column(Boolean, default=False)
    #: The warranty that covers it (serial_warranty's id; no foreign key: optional addon).
    warranty_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    invoice_id: Mapped[int | None] = mapped_column(ForeignKey("jxc_invoice.id"),
                                                   nullable=True)
    rating: Mapped[int | None] = mapped_column(Integer, nullable=True)
    feedback: Mapped[str] = mapped_column(String(1000), default="")
    signature_url: Mapped[str] = mapped_column(Text, default="")
    cancel_reason: Mapped[str] = mapped_column(String(400), default="")
    assigned_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    #: The business day it was completed on (warranty cost and fix rate periods).
    completed_on: Mapped[date | None] = mapped_column(Date, nullable=True, index=True)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    #: Bumped by every change, under the guarded update that serialises them.
    version: Mapped[int] = mapped_column(Integer, default=1)


class ServiceOrderDevice(Base):
    """A device the work is on: a serial unit, or a product without serial numbers."""

    __tablename__ = "svc_order_device"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("svc_order.id"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    product_id: Mapped[int] = mapped_column(ForeignKey("jxc_product.id"))
    serial_id: Mapped[int | None] = mapped_column(ForeignKey("jxc_serial.id"), nullable=True,
                                                  index=True)
    quantity: Mapped[Decimal] = mapped_column(Quantity(), default=Decimal(1))


class ServiceRecord(Base):
    """What was done on a visit: a note, attachments, minutes spent."""

    __tablename__ = "svc_record"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("svc_order.id"), index=True)
    note: Mapped[str] = mapped_column(Text, default="")
    minutes: Mapped[int] = mapped_column(Integer, default=0)
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    recorded_by_id: Mapped[int | None] = mapped_column(Integer, nullable=True)


class ServiceAttachment(Base):
    """A photo or document of a record, by URL (http/https only)."""

    __tablename__ = "svc_attachment"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    record_id: Mapped[int] = mapped_column(ForeignKey("svc_record.id"), index=True)
    url: Mapped[str] = mapped_column(String(1000))


class ServiceLabour(Base):
    """Hours a technician worked, with the rates of that day: ``rate`` is what the
    customer is billed per hour, ``internal_rate`` what an hour costs the company."""

    __tablename__ = "svc_labour"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("svc_order.id"), index=True)
    record_id: Mapped[int] = mapped_column(ForeignKey("svc_record.id"))
    technician_id: Mapped[int] = mapped_column(Integer)
    hours: Mapped[Decimal] = mapped_column(Quantity())
    rate: Mapped[Decimal] = mapped_column(Money())
    internal_rate: Mapped[Decimal] = mapped_column(Money())
    tax_rate: Mapped[Decimal] = mapped_column(Rate())


class ServicePart(Base):
    """A spare part fitted: out of the technician's van to the customer (``move_id``, at
    the cost the stock engine recorded).  A replaced serial part names the faulty unit
    taken back into the van warehouse's quarantine (``removed_move_id``)."""

    __tablename__ = "svc_part"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("svc_order.id"), index=True)
    record_id: Mapped[int] = mapped_column(ForeignKey("svc_record.id"))
    product_id: Mapped[int] = mapped_column(ForeignKey("jxc_product.id"))
    quantity: Mapped[Decimal] = mapped_column(Quantity())
    move_id: Mapped[int] = mapped_column(ForeignKey("jxc_stock_move.id"))
    #: The value of the move (the company's cost of the part).
    cost: Mapped[Decimal] = mapped_column(Money())
    #: The list price when it was fitted (billed when parts are not covered).
    unit_price: Mapped[Decimal] = mapped_column(UnitCost())
    tax_rate: Mapped[Decimal] = mapped_column(Rate())
    #: Indexed: a unit's archive lists the orders that fitted it or took it out.
    fitted_serial_id: Mapped[int | None] = mapped_column(ForeignKey("jxc_serial.id"),
                                                         nullable=True, index=True)
    removed_serial_id: Mapped[int | None] = mapped_column(ForeignKey("jxc_serial.id"),
                                                          nullable=True, index=True)
    removed_move_id: Mapped[int | None] = mapped_column(ForeignKey("jxc_stock_move.id"),
                                                        nullable=True)
    #: The device (of the order) the part was fitted to.
    host_serial_id: Mapped[int | None] = mapped_column(ForeignKey("jxc_serial.id"),
                                                       nullable=True)


class ServiceSla(Base):
    """How many hours an order of a type and priority may take from report to done."""

    __tablename__ = "svc_sla"

    type: Mapped[str] = mapped_column(String(16), primary_key=True)
    priority: Mapped[str] = mapped_column(String(8), primary_key=True)
    hours: Mapped[int] = mapped_column(Integer)


class ServiceLabourRate(Base):
    """Per order type: the hourly rate billed, the internal cost of an hour, the VAT rate
    of labour."""

    __tablename__ = "svc_labour_rate"

    type: Mapped[str] = mapped_column(String(16), primary_key=True)
    rate: Mapped[Decimal] = mapped_column(Money())
    internal_rate: Mapped[Decimal] = mapped_column(Money())
    tax_rate: Mapped[Decimal] = mapped_column(Rate())


class ServiceTeam(Base):
    """A group of technicians an order can be given to (维修一组)."""

    __tablename__ = "svc_team"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(128))


class ServiceTeamMember(Base):
    __tablename__ = "svc_team_member"

    team_id: Mapped[int] = mapped_column(ForeignKey("svc_team.id"), primary_key=True)
    user_id: Mapped[int] = mapped_column(Integer, primary_key=True, index=True)


class ServiceTechnician(Base):
    """A technician's van: the stock location spare parts come from."""

    __tablename__ = "svc_technician"

    user_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    location_id: Mapped[int] = mapped_column(ForeignKey("jxc_location.id"))


class ServiceProductSetting(Base):
    """service_orders' companion row of a product: does a delivery of it call for an
    installation order?"""

    __tablename__ = "svc_product_setting"

    product_id: Mapped[int] = mapped_column(ForeignKey("jxc_product.id"), primary_key=True)
    needs_installation: Mapped[bool] = mapped_column(Boolean, default=False)


MODELS: list[type] = [ServiceTeam, ServiceTeamMember, ServiceOrder, ServiceOrderDevice,
                      ServiceRecord, ServiceAttachment, ServiceLabour, ServicePart, ServiceSla,
                      ServiceLabourRate, ServiceTechnician, ServiceProductSetting]
