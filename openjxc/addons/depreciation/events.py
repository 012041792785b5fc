"""Facts depreciation publishes, in the transaction that caused them, for extenders
(accounting_bridge posts its vouchers from them): an asset bought, a stock unit
capitalised, a month's book depreciation posted, an asset disposed of."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import ClassVar

from openjxc.core.events import Event


@dataclass(frozen=True)
class AssetAcquired(Event):
    """Fires when a fixed asset card is created at its cost (``assetCreate``;
    借 固定资产)."""

    name: ClassVar[str] = "depreciation.asset.acquired"
    added_in: ClassVar[str] = "0.1"
    asset_id: int
    code: str
    category_code: str
    department: str
    acquired_on: date
    cost: Decimal


@dataclass(frozen=True)
class AssetCapitalized(Event):
    """Fires when a serial unit leaves sellable stock and becomes a fixed asset at its own
    cost (``assetCapitalizeSerial``; 借 固定资产 贷 库存商品); ``move_ids`` are the stock
    moves that took it out."""

    name: ClassVar[str] = "depreciation.asset.capitalized"
    added_in: ClassVar[str] = "0.1"
    asset_id: int
    code: str
    category_code: str
    department: str
    product_id: int
    serial_id: int
    acquired_on: date
    cost: Decimal
    move_ids: tuple[int, ...]


@dataclass(frozen=True)
class DepreciationPosted(Event):
    """Fires when a month's book depreciation is posted (``depreciationRun``; 借 费用 by
    department, 贷 累计折旧): one amount per asset, in the order of ``asset_ids``;
    ``departments`` aligned with them."""

    name: ClassVar[str] = "depreciation.posted"
    added_in: ClassVar[str] = "0.1"
    period: date
    asset_ids: tuple[int, ...]
    departments: tuple[str, ...]
    amounts: tuple[Decimal, ...]
    total: Decimal


@dataclass(frozen=True)
class AssetDisposed(Event):
    """Fires when an asset is sold or scrapped (``assetDispose``): ``gain_loss`` =
    proceeds − net book value − costs (positive: 清理净收益, negative: 清理净损失)."""

    name: ClassVar[str] = "depreciation.asset.disposed"
    added_in: ClassVar[str] = "0.1"
    asset_id: int
    code: str
    disposed_on: date
    kind: str
    cost: Decimal
    accumulated_depreciation: Decimal
    net_book_value: Decimal
    proceeds: Decimal
    costs: Decimal
    gain_loss: Decimal
