"""The rules of the cross-addon invariant machine that buy, move, count, reverse, take
back, bill and extend (test_invariants_trade.py adds selling, credit and the promises), and
the helpers every rule shares: a keyed request retried and reused, what a delivery may take.
No test is collected from this module."""

from __future__ import annotations

import itertools
from decimal import Decimal
from typing import Any

from hypothesis import event
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    precondition,
    rule,
)
from invariants_trade_support import (
    D,
    TradeWorld,
    serial_histories,
    serial_rows,
    snapshot,
)
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from openjxc.addons.base_jxc.counts.posting import post_count
from openjxc.addons.base_jxc.counts.recording import CountEntry, record_count
from openjxc.addons.base_jxc.counts.services import start_count
from openjxc.addons.base_jxc.invoicing.models import Invoice, Payment
from openjxc.addons.base_jxc.purchase.models import PurchaseReceipt
from openjxc.addons.base_jxc.purchase.services import (
    PurchaseLineInput,
    ReceiptLineInput,
    approve_purchase_order,
    create_purchase_order,
    order_lines,
    receive_purchase_order,
)
from openjxc.addons.base_jxc.returns.inspection import InspectionLineInput, inspect_return
from openjxc.addons.base_jxc.returns.models import ReturnRequest
from openjxc.addons.base_jxc.returns.services import ReturnLineInput, create_return, return_lines
from openjxc.addons.base_jxc.sales.billing import invoice_sales_order
from openjxc.addons.base_jxc.sales.models import (
    AWAITING_APPROVAL,
    CONFIRMED,
    PARTLY_DELIVERED,
    SalesCreditApproval,
    SalesDelivery,
    SalesOrder,
    SalesOrderLine,
    SalesReservation,
)
from openjxc.addons.base_jxc.stock.models import (
    Location,
    SerialNumber,
    StockBalance,
    StockMove,
)
from openjxc.addons.base_jxc.stock.reversals import reverse_moves
from openjxc.addons.base_jxc.transfers.receiving import receive_transfer
from openjxc.addons.base_jxc.transfers.services import (
    TransferInput,
    TransferLineInput,
    create_transfer,
    ship_transfer,
)
from openjxc.addons.serial_warranty.models import Warranty, WarrantyExtension
from openjxc.core.errors import ValidationFailed
from openjxc.core.idempotency import IdempotencyKey
from openjxc.graphql.relay import to_global_id as gid

RECEIVE = """mutation($input: PurchaseOrderReceiveInput!) { purchaseOrderReceive(input: $input)
  { purchaseReceipt { number } errors { field code } } }"""
DELIVER = """mutation($input: SalesOrderDeliverInput!) { salesOrderDeliver(input: $input) {
  salesDelivery { number } errors { field code } } }"""
APPROVE = """mutation($id: ID!) { salesOrderApprove(input: {id: $id, reason: "老客户"}) {
  salesOrder { state } errors { field code } } }"""
RETURN_RECEIVE = """mutation($input: ReturnReceiveInput!) { returnReceive(input: $input) {
  return { code state } errors { field code } } }"""
PAY = """mutation($input: PaymentCreateInput!) { paymentCreate(input: $input) {
  payment { number amount amountAllocated } errors { field code } } }"""
EXTEND = """mutation($input: WarrantyExtendInput!) { warrantyExtend(input: $input) {
  extension { newEndDate invoice { number } } errors { field code } } }"""

STOCK_CODES = {"INSUFFICIENT_STOCK"}
quantities = st.integers(1, 6)


def other_input(data: dict[str, Any]) -> dict[str, Any]:
    """The same request with one thing changed (a note, the months, the document)."""
    if "months" in data:
        return data | {"months": data["months"] + 1}
    if "partnerCode" in data or "lines" in data or "locationCode" in data:
        return data | {"note": "另一个请求"}
    return data | {"id": gid("Return", 10**9)}


def codes_of(exc: ValidationFailed) -> list[str]:
    return [e.code for e in exc.errors]


class TradeRules(RuleBasedStateMachine):
    """Not run on its own: :class:`test_invariants_trade.TradeMachine` is."""

    world: TradeWorld

    def __init__(self) -> None:
        super().__init__()
        self.world.restore()
        self.serials = itertools.count(1)
        self.keys = itertools.count(1)
        self.stored_keys = 0
        self.over_limit: dict[int, bool] = {}  # order → over the limit when let through
        self.moves: list[int] = []
        self.first_seen: dict[str, dict[int, tuple[Any, ...]]] = {}
        with self.world.uow(readonly=True) as session:
            self.first_seen = snapshot(session)
            self.look_for_work(session)
        self.remember_moves("purchase.receipt")

    # -- helpers -----------------------------------------------------------------------

    def counts(self) -> dict[str, int]:
        """Rows of every document an effect would add (equal before and after a retry)."""
        with self.world.uow(readonly=True) as session:
            return {model.__name__: session.scalar(select(func.count()).select_from(model)) or 0
                    for model in (StockMove, PurchaseReceipt, SalesDelivery, ReturnRequest,
                                  WarrantyExtension, IdempotencyKey, SalesCreditApproval)} | {
                "received": session.scalar(select(func.count()).select_from(ReturnRequest)
                                           .where(ReturnRequest.state != "requested")) or 0,
                "payments": session.scalar(select(func.count()).select_from(Payment)) or 0,
                "invoices": session.scalar(select(func.count()).select_from(Invoice)) or 0}

    def keyed(self, who: str, query: str, name: str, variables: dict[str, Any],
              key: str | None) -> dict[str, Any]:
        """Run a posting mutation; with a key, retry it (same answer, nothing changes) and
        reuse the key with other input (refused, nothing changes)."""
        if key is not None:
            variables["input"]["idempotencyKey"] = key
        first = self.world.gql(who, query, variables)
        assert "errors" not in first, first
        payload = first["data"][name]
        if key is None or payload["errors"]:
            return payload
        self.stored_keys += 1
        before = self.counts()
        again = self.world.gql(who, query, variables)["data"][name]
        assert again == payload
        changed = {"input": other_input(variables["input"])}
        reused = self.world.gql(who, query, changed)["data"][name]
        assert [e["code"] for e in reused["errors"]] == ["IDEMPOTENCY_KEY_REUSED"], reused
        assert self.counts() == before
        return payload

    def key(self, use: bool) -> str | None:
        return f"pda-{next(self.keys)}" if use else None

    def open_orders(self, session: Session) -> list[SalesOrder]:
        return list(session.scalars(select(SalesOrder).where(
            SalesOrder.state.in_((CONFIRMED, PARTLY_DELIVERED))).order_by(SalesOrder.id)))

    def available(self, session: Session, order_line: SalesOrderLine,
                  place: int | None = None) -> Decimal:
        """What a delivery of the line may take in WH1: per sellable place, the stock not
        reserved for other lines (the line's own reservation is its to take)."""
        own = dict(session.execute(select(SalesReservation.location_id,
                                          func.sum(SalesReservation.quantity))
                                   .where(SalesReservation.order_line_id == order_line.id)
                                   .group_by(SalesReservation.location_id)).all())
        total = Decimal(0)
        for location_id, quantity, reserved in session.execute(
                select(StockBalance.location_id, StockBalance.quantity, StockBalance.reserved)
                .join(Location, Location.id == StockBalance.location_id)
                .where(Location.warehouse_id == self.world.ids["WH1"],
                       Location.kind == "internal",
                       StockBalance.product_id == order_line.product_id)):
            if place is None or location_id == place:
                total += max(Decimal(0), quantity - (reserved - Decimal(own.get(location_id, 0))))
        return total

    #: What the rules that need something to work on look for (read after every step).
    WORK = {
        "deliver": select(SalesOrder.id).where(
            SalesOrder.state.in_((CONFIRMED, PARTLY_DELIVERED))),
        "approve": select(SalesOrder.id).where(SalesOrder.state == AWAITING_APPROVAL),
        "take_back": select(SalesOrderLine.id).where(
            SalesOrderLine.delivered_quantity > SalesOrderLine.returned_quantity),
        "inspect": select(ReturnRequest.id).where(ReturnRequest.state == "received"),
        "bill": select(SalesOrderLine.id).where(
            SalesOrderLine.delivered_quantity > SalesOrderLine.invoiced_quantity
            + SalesOrderLine.returned_quantity),
        "extend": select(Warranty.id),
    }

    def look_for_work(self, session: Session) -> None:
        self.work = {name: bool(session.scalar(select(query.exists())))
                     for name, query in self.WORK.items()}

    # -- buying ------------------------------------------------------------------------

    @rule(product=st.sampled_from(["PLAIN", "SER"]), quantity=quantities,
          place=st.sampled_from(["WH1/STOCK", "WH1/A-01", "WH2/STOCK"]), api=st.booleans(),
          key=st.booleans(), cost=st.integers(50, 2500))
    def receive_goods(self, product: str, quantity: int, place: str, api: bool, key: bool,
                      cost: int) -> None:
        w = self.world
        warehouse = place.split("/")[0]
        numbers = ([f"SN{next(self.serials):05d}" for _ in range(quantity)]
                   if product == "SER" else [])
        with w.uow() as session:
            order = create_purchase_order(
                session, supplier_id=w.ids["S1"], warehouse_id=w.ids[warehouse],
                lines=[PurchaseLineInput(product_id=w.ids[product], quantity=D(quantity),
                                         unit_price=D(cost))])
            for approver in ("boss", "manager", "clerk")[:order.approvals_required]:
                approve_purchase_order(session, order.id, user_id=w.ids[approver])
            order_id = order.id
            line_id = order_lines(session, [order.id])[order.id][0].id
        if api:
            payload = self.keyed("boss", RECEIVE, "purchaseOrderReceive", {"input": {
                "id": gid("PurchaseOrder", order_id), "locationCode": place, "lines": [{
                    "orderLineId": gid("PurchaseOrderLine", line_id),
                    "quantity": str(quantity), "serials": numbers}]}}, self.key(key))
            assert payload["errors"] == [], payload
        else:
            with w.uow() as session:
                receive_purchase_order(session, order_id, location_id=w.locations[place],
                                       user_id=w.ids["boss"], lines=[ReceiptLineInput(
                                           order_line_id=line_id, quantity=D(quantity),
                                           serials=numbers)])
        self.remember_moves("purchase.receipt")

    def remember_moves(self, origin: str) -> None:
        with self.world.uow(readonly=True) as session:
            self.moves = sorted(set(self.moves) | set(session.scalars(
                select(StockMove.id).where(StockMove.origin_type == origin))))

    # -- stock -------------------------------------------------------------------------

    @rule(data=st.data(), outbound=st.booleans(), units=st.booleans(), quantity=quantities)
    def transfer(self, data: st.DataObject, outbound: bool, units: bool, quantity: int) -> None:
        w = self.world
        source, target = ("WH1", "WH2") if outbound else ("WH2", "WH1")
        with w.uow(readonly=True) as session:
            if units:
                here = [u[2] for u in serial_rows(session)
                        if u[3] == w.locations[f"{source}/STOCK"]]
                if not here:
                    return
                numbers = data.draw(st.lists(st.sampled_from(here), min_size=1, max_size=2,
                                             unique=True))
                line = TransferLineInput(product_code="SER", quantity=D(len(numbers)),
                                         serials=numbers)
            else:
                line = TransferLineInput(product_code="PLAIN", quantity=D(quantity))
            stock = session.scalar(select(StockBalance.quantity).where(
                StockBalance.location_id == w.locations[f"{source}/STOCK"],
                StockBalance.product_id == w.ids["SER" if units else "PLAIN"])) or Decimal(0)
        with w.uow() as session:
            try:
                transfer = create_transfer(session, TransferInput(
                    from_warehouse_code=source, to_warehouse_code=target, lines=[line]),
                    user_id=w.ids["boss"])
                ship_transfer(session, transfer.id, user_id=w.ids["boss"])
                receive_transfer(session, transfer.id, user_id=w.ids["boss"])
            except ValidationFailed as exc:
                assert source == "WH1" and line.quantity > stock, codes_of(exc)
                assert set(codes_of(exc)) <= STOCK_CODES, codes_of(exc)
                session.rollback()
                return
        event("transferred")


    @rule(delta=st.integers(-5, 5))
    def count_plain(self, delta: int) -> None:
        w = self.world
        with w.uow() as session:
            count = start_count(session, warehouse_code="WH1", scope="cycle",
                                location_codes=["WH1/STOCK"], product_codes=["PLAIN"],
                                user_id=w.ids["boss"])
            before = session.scalar(select(StockBalance.quantity).where(
                StockBalance.location_id == w.locations["WH1/STOCK"],
                StockBalance.product_id == w.ids["PLAIN"])) or Decimal(0)
            counted = max(Decimal(0), before + delta)
            record_count(session, number=count.number, mode="set", entries=[
                CountEntry(location_code="WH1/STOCK", code="PLAIN", quantity=counted)])
            post_count(session, number=count.number, user_id=w.ids["boss"])
            after = session.scalar(select(StockBalance.quantity).where(
                StockBalance.location_id == w.locations["WH1/STOCK"],
                StockBalance.product_id == w.ids["PLAIN"])) or Decimal(0)
            assert after == counted

    @rule(data=st.data())
    def reverse(self, data: st.DataObject) -> None:
        w = self.world
        if not self.moves:
            return
        move_id = data.draw(st.sampled_from(self.moves))
        with w.uow(readonly=True) as session:
            done = session.scalar(select(func.count()).where(StockMove.reversal_of_id == move_id))
        before = self.counts()
        try:
            with w.uow() as session:
                reverse_moves(session, [move_id], reason="录错了", user_id=w.ids["boss"])
        except ValidationFailed as exc:
            assert self.counts() == before
            codes = set(codes_of(exc))
            # the goods have gone on (sold, moved, scrapped): the mirror move cannot post
            gone = {"INSUFFICIENT_STOCK", "SERIAL_NOT_IN_LOCATION", "SERIAL_ALREADY_EXISTS"}
            assert codes and codes <= ({"ALREADY_REVERSED"} if done else gone), codes
            return
        assert not done
        event("reversed")

    # -- returns -----------------------------------------------------------------------

    @precondition(lambda self: self.work["take_back"])
    @rule(data=st.data(), units=st.booleans(), key=st.booleans(),
          then=st.sampled_from(["", "restock", "scrap"]))
    def customer_return(self, data: st.DataObject, units: bool, key: bool, then: str) -> None:
        """A return of delivered goods, received (into quarantine) and maybe inspected."""
        w = self.world
        with w.uow(readonly=True) as session:
            sold = [(line, order) for line, order in session.execute(
                select(SalesOrderLine, SalesOrder)
                .join(SalesOrder, SalesOrder.id == SalesOrderLine.order_id)
                .where(SalesOrderLine.delivered_quantity > SalesOrderLine.returned_quantity,
                       SalesOrderLine.product_id == w.ids["SER" if units else "PLAIN"]))]
            if not sold:
                return
            line, order = data.draw(st.sampled_from(sold))
            numbers: list[str] = []
            if units:
                at_customer = [u[2] for u in serial_rows(session)
                               if u[3] == w.locations["customer"]
                               and serial_histories(session)[u[0]][-1][1] == "sales.delivery"
                               and session.scalar(select(SalesDelivery.order_id).where(
                                   SalesDelivery.id == serial_histories(session)[u[0]][-1][2]))
                               == order.id]
                if not at_customer:
                    return
                numbers = [data.draw(st.sampled_from(at_customer))]
            open_returns = session.scalar(select(func.count()).select_from(ReturnRequest)
                                          .where(ReturnRequest.state == "requested"))
            quantity = D(len(numbers)) if units else D(data.draw(st.integers(
                1, int(line.delivered_quantity - line.returned_quantity))))
        with w.uow() as session:
            try:
                request = create_return(session, customer_id=order.customer_id,
                                        sales_order_id=order.id, reason="不转",
                                        user_id=w.ids["boss"], lines=[ReturnLineInput(
                                            product_id=line.product_id, quantity=quantity,
                                            serials=numbers, sales_order_line_id=line.id)])
            except ValidationFailed as exc:  # a unit on another open return
                assert open_returns and set(codes_of(exc)) <= {"ALREADY_RETURNED",
                                                               "OVER_RETURN"}, exc
                session.rollback()
                return
            return_id = request.id
        payload = self.keyed("boss", RETURN_RECEIVE, "returnReceive", {
            "input": {"id": gid("Return", return_id)}}, self.key(key))
        assert payload["errors"] == [], payload
        with w.uow(readonly=True) as session:  # into quarantine, never into sellable stock
            assert set(session.scalars(select(Location.kind).join(
                StockMove, StockMove.to_location_id == Location.id).where(
                StockMove.origin_type == "sales.return",
                StockMove.origin_id == return_id))) == {"quarantine"}
        event(f"return received ({'units' if units else 'plain'})")
        if then:
            self.inspect_one(return_id, then == "restock")

    @precondition(lambda self: self.work["inspect"])
    @rule(data=st.data(), restock=st.booleans())
    def inspect(self, data: st.DataObject, restock: bool) -> None:
        w = self.world
        with w.uow(readonly=True) as session:
            received = list(session.scalars(select(ReturnRequest.id).where(
                ReturnRequest.state == "received").order_by(ReturnRequest.id)))
        if not received:
            return
        self.inspect_one(data.draw(st.sampled_from(received)), restock)

    def inspect_one(self, return_id: int, restock: bool) -> None:
        w = self.world
        event(f"inspected ({'restock' if restock else 'scrap'})")
        with w.uow() as session:
            lines = return_lines(session, [return_id])[return_id]
            inspect_return(session, return_id, user_id=w.ids["boss"], lines=[
                InspectionLineInput(line_id=x.id, restock=x.received_quantity if restock
                                    else None, scrap=None if restock else x.received_quantity)
                for x in lines])

    # -- money and warranties ----------------------------------------------------------

    @precondition(lambda self: self.work["bill"])
    @rule(data=st.data(), share=st.sampled_from(["0.3", "1", "1.2"]), key=st.booleans())
    def bill_and_pay(self, data: st.DataObject, share: str, key: bool) -> None:
        w = self.world
        with w.uow() as session:
            billable = list(session.scalars(
                select(SalesOrderLine.order_id).where(
                    SalesOrderLine.delivered_quantity > SalesOrderLine.invoiced_quantity
                    + SalesOrderLine.returned_quantity).distinct().order_by(
                    SalesOrderLine.order_id)))
            if not billable:
                return
            order_id = data.draw(st.sampled_from(billable))
            invoice = invoice_sales_order(session, order_id, user_id=w.ids["boss"])
            customer = session.get(SalesOrder, order_id).customer_id  # type: ignore[union-attr]
            code = next(k for k, v in w.ids.items() if v == customer and k.startswith("C"))
            amount = (invoice.amount_total * D(share)).quantize(D("0.01"))
            allocated = min(amount, invoice.amount_total)
            invoice_id = invoice.id
        payload = self.keyed("boss", PAY, "paymentCreate", {"input": {
            "partnerCode": code, "direction": "RECEIVABLE", "amount": str(amount),
            "allocations": [{"invoiceId": gid("Invoice", invoice_id),
                             "amount": str(allocated)}]}}, self.key(key))
        assert payload["errors"] == [], payload
        assert D(payload["payment"]["amountAllocated"]) == allocated
        event("paid")

    @precondition(lambda self: self.work["extend"])
    @rule(data=st.data(), months=st.integers(1, 24), key=st.booleans())
    def extend(self, data: st.DataObject, months: int, key: bool) -> None:
        w = self.world
        with w.uow(readonly=True) as session:
            units = list(session.execute(select(SerialNumber.id, Warranty.voided_on).join(
                Warranty, Warranty.serial_id == SerialNumber.id).order_by(Warranty.id)))
        if not units:
            return
        serial_id, voided = data.draw(st.sampled_from(units))
        with w.uow(readonly=True) as session:
            live = session.scalar(select(func.count()).where(
                Warranty.serial_id == serial_id, Warranty.voided_on.is_(None)))
        before = self.counts()
        payload = self.keyed("boss", EXTEND, "warrantyExtend", {"input": {
            "serialId": gid("SerialNumber", serial_id), "months": months, "price": "300"}},
            self.key(key))
        assert (payload["errors"] == []) == bool(live), (payload, voided)
        assert payload["errors"] or self.counts() != before
        event(f"extension {'refused' if payload['errors'] else 'sold'}")

