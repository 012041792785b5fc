"""Categories and products (SPEC.md: product master with coding rules), the typed
attributes a category defines and its products carry, and how products relate to each
other (fits / replaces / accessory-of / spare-part-of, kits, bills of materials).

Coding rules live on the category (see :mod:`.coding`): ``code_template`` is literal text
with ``{placeholders}`` — a product field (``{model}``, ``{spec}``, ``{brand}``), an
attribute key of the category (``{power_kw}``) or ``{*}``, a free part of at least one
character.  Motors: ``DJ-{model}-{power_kw}-{poles}``; metals, which only must start with
``JX``: ``JX{*}``.  An empty template inherits the parent category's.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import Boolean, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from openjxc.core.models import Base, Money, Quantity, Rate, ScaledDecimal, UTCDateTime, utcnow


class Category(Base):
    """A product category; its code template shapes the codes of its products."""

    __tablename__ = "jxc_category"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(128))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("jxc_category.id"), nullable=True)
    #: e.g. ``DJ-{model}-{power_kw}-{poles}``; empty means the parent's (or free-form).
    code_template: Mapped[str] = mapped_column(String(128), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class CategoryAttribute(Base):
    """A typed attribute the products of a category (and of its sub-categories) carry,
    e.g. ``power_kw`` (DECIMAL, kW, required) for motors."""

    __tablename__ = "jxc_category_attribute"
    __table_args__ = (UniqueConstraint("category_id", "key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    category_id: Mapped[int] = mapped_column(ForeignKey("jxc_category.id"))
    #: The name templates and API inputs use: ``power_kw``.
    key: Mapped[str] = mapped_column(String(32))
    label: Mapped[str] = mapped_column(String(64))
    #: text / integer / decimal
    value_type: Mapped[str] = mapped_column(String(8))
    required: Mapped[bool] = mapped_column(Boolean, default=False)
    unit: Mapped[str] = mapped_column(String(16), default="")
    position: Mapped[int] = mapped_column(Integer, default=0)


class Product(Base):
    """Something the dealer buys, stocks and sells."""

    __tablename__ = "jxc_product"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    category_id: Mapped[int] = mapped_column(ForeignKey("jxc_category.id"), index=True)
    model: Mapped[str] = mapped_column(String(100), default="")
    spec: Mapped[str] = mapped_column(String(200), default="")
    brand: Mapped[str] = mapped_column(String(100), default="")
    unit: Mapped[str] = mapped_column(String(16), default="台")
    barcode: Mapped[str | None] = mapped_column(String(64), unique=True, nullable=True)
    #: none / batch / serial
    tracking: Mapped[str] = mapped_column(String(8), default="none")
    tax_rate: Mapped[Decimal] = mapped_column(Rate(), default=Decimal("0.13"))
    list_price: Mapped[Decimal] = mapped_column(Money(), default=Decimal("0"))
    description: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    #: Below this quantity an alert asks for a purchase.
    safety_stock: Mapped[Decimal] = mapped_column(Quantity(), default=Decimal("0"))
    #: Days a batch keeps from its manufacture date; NULL when it does not expire.
    shelf_life_days: Mapped[int | None] = mapped_column(Integer, nullable=True)
    #: The planned (standard) purchase cost, CNY before tax.
    standard_price: Mapped[Decimal] = mapped_column(Money(), default=Decimal("0"))
    default_supplier_id: Mapped[int | None] = mapped_column(ForeignKey("jxc_partner.id"),
                                                            nullable=True)
    lead_time_days: Mapped[int] = mapped_column(Integer, default=0)

    category: Mapped[Category] = relationship(lazy="raise")


class ProductAttributeValue(Base):
    """A product's value of one of its category's attributes; exactly the column of the
    attribute's type is set."""

    __tablename__ = "jxc_product_attribute"
    __table_args__ = (UniqueConstraint("product_id", "attribute_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("jxc_product.id"))
    attribute_id: Mapped[int] = mapped_column(ForeignKey("jxc_category_attribute.id"),
                                              index=True)
    text_value: Mapped[str | None] = mapped_column(String(100), nullable=True)
    integer_value: Mapped[int | None] = mapped_column(Integer, nullable=True)
    decimal_value: Mapped[Decimal | None] = mapped_column(ScaledDecimal(6), nullable=True)


class ProductRelation(Base):
    """A typed relation between two products (or, for ``fits``, a product and a host
    model).  ``replaces`` is symmetric: stored once, lower id first, answered both ways.

    kinds: ``fits`` (product fits the host product or every product of ``host_model``),
    ``replaces``, ``accessory_of``, ``spare_part_of`` (product → related product).
    """

    __tablename__ = "jxc_product_relation"
    __table_args__ = (UniqueConstraint("kind", "product_id", "related_id", "host_model"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    product_id: Mapped[int] = mapped_column(ForeignKey("jxc_product.id"), index=True)
    related_id: Mapped[int | None] = mapped_column(ForeignKey("jxc_product.id"), index=True,
                                                   nullable=True)
    #: For ``fits`` without a host product: the host model (型号) it fits.
    host_model: Mapped[str] = mapped_column(String(100), default="")
    note: Mapped[str] = mapped_column(String(200), default="")


class KitComponent(Base):
    """A kit (sold as one product) is made of component products in fixed quantities."""

    __tablename__ = "jxc_kit_component"
    __table_args__ = (UniqueConstraint("kit_id", "component_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kit_id: Mapped[int] = mapped_column(ForeignKey("jxc_product.id"))
    component_id: Mapped[int] = mapped_column(ForeignKey("jxc_product.id"), index=True)
    quantity: Mapped[Decimal] = mapped_column(Quantity())


class BomLine(Base):
    """One line of a bill of materials: ``quantity`` of ``component`` per one ``parent``,
    plus ``scrap_rate`` (0.05 = 5 % more is needed)."""

    __tablename__ = "jxc_bom_line"
    __table_args__ = (UniqueConstraint("parent_id", "component_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    parent_id: Mapped[int] = mapped_column(ForeignKey("jxc_product.id"))
    component_id: Mapped[int] = mapped_column(ForeignKey("jxc_product.id"), index=True)
    quantity: Mapped[Decimal] = mapped_column(Quantity())
    scrap_rate: Mapped[Decimal] = mapped_column(Rate(), default=Decimal("0"))
