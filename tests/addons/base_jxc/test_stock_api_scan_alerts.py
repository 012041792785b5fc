"""``scan(code:)`` resolves each kind of code in order; the stock alert rules open one alert
per condition, keep it single, and resolve it when the condition goes away."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import update
from test_stock_api_support import api, env, line, posted, receive_basics

from openjxc.addons.base_jxc.catalog.models import Product
from openjxc.addons.base_jxc.policies.services import set_policy
from openjxc.addons.base_jxc.stock.alerts import alert_rules
from openjxc.core.alerts import AlertStatus, evaluate_rules, list_alerts
from openjxc.core.env import Environment
from openjxc.testing.graphql import GraphQLTester

__all__ = ["api", "env"]

SCAN = """query($code: String!) { scan(code: $code) { code kind product { code }
  location { code } serials { number state location { code } } batches { number } } }"""


def scan(api: GraphQLTester, code: str) -> dict[str, object]:
    return api.ok(SCAN, {"code": code})["scan"]  # type: ignore[no-any-return]


def test_scan_resolves_each_kind_in_order(api: GraphQLTester) -> None:
    receive_basics(api)
    assert scan(api, "WH1/A-01") == {"code": "WH1/A-01", "kind": "LOCATION", "product": None,
                                     "location": {"code": "WH1/A-01"}, "serials": [],
                                     "batches": []}
    assert scan(api, " LS-M8 ")["product"] == {"code": "LS-M8"}
    by_barcode = scan(api, "6901234567892")
    assert (by_barcode["kind"], by_barcode["product"]) == ("PRODUCT", {"code": "LS-M8"})
    serial = scan(api, "YE3-0002")
    assert serial["kind"] == "SERIAL" and serial["product"] == {"code": "DJ-YE3-7.5"}
    assert serial["serials"] == [{"number": "YE3-0002", "state": "IN_STOCK",
                                  "location": {"code": "WH1/A-01"}}]
    batch = scan(api, "B2401")
    assert (batch["kind"], batch["batches"], batch["product"]) == (
        "BATCH", [{"number": "B2401"}], {"code": "YY-46"})
    for nothing in ("", "NOPE", "x" * 500):
        assert scan(api, nothing)["kind"] == "UNKNOWN"


def test_a_location_code_wins_over_a_serial_of_the_same_text(api: GraphQLTester) -> None:
    posted(api, line("DJ-YE3-7.5", "1", "PARTNER/SUPPLIER", "WH1/STOCK", unitCost="1",
                     serials=["WH1/A-02"]))
    assert scan(api, "WH1/A-02")["kind"] == "LOCATION"


def test_scan_respects_warehouse_scope(env: Environment, api: GraphQLTester) -> None:
    receive_basics(api)
    branch = GraphQLTester(env, scopes={"warehouse": ["2"]})
    assert scan(branch, "WH1/A-01")["kind"] == "UNKNOWN"
    assert scan(branch, "WH2/STOCK")["kind"] == "LOCATION"
    assert scan(branch, "YE3-0001")["kind"] == "UNKNOWN"


def _active(env: Environment, rule: str) -> list[tuple[str, str]]:
    with env.unit_of_work() as session:
        return [(a.condition_key, a.severity) for a in list_alerts(
            session, (AlertStatus.OPEN, AlertStatus.ACKNOWLEDGED), rule_key=rule)]


def test_stock_below_safety_level_opens_once_and_resolves(env: Environment,
                                                          api: GraphQLTester) -> None:
    assert hasattr(Product, "safety_stock"), "catalog Product has no safety_stock column"
    rules = {r.key for r in alert_rules()}
    assert rules == {"stock.below_safety", "stock.batch_near_expiry"}
    posted(api, line("LS-M8", "30", "PARTNER/SUPPLIER", "WH1/STOCK", unitCost="1"))
    for _ in range(3):
        evaluate_rules(env, rule_keys=["stock.below_safety"])
    active = _active(env, "stock.below_safety")
    assert len(active) == 1 and active[0][0].startswith("product:")
    assert active[0][1] == "warning"
    posted(api, line("LS-M8", "80", "PARTNER/SUPPLIER", "WH2/STOCK", unitCost="1"))
    report = evaluate_rules(env, rule_keys=["stock.below_safety"])
    assert len(report.resolved) == 1 and _active(env, "stock.below_safety") == []
    with env.unit_of_work() as session:  # no safety stock, no alert, even with none on hand
        session.execute(update(Product).values(safety_stock=0))
    assert evaluate_rules(env, rule_keys=["stock.below_safety"]).opened == []


def test_batch_near_expiry_opens_once_and_goes_critical_once_expired(
        env: Environment, api: GraphQLTester) -> None:
    posted(api, line("YY-46", "5", "PARTNER/SUPPLIER", "WH1/STOCK", unitCost="80",
                     batchNumber="SOON", expiresOn="2026-02-20"),
           line("YY-46", "5", "PARTNER/SUPPLIER", "WH1/STOCK", unitCost="80",
                batchNumber="LATER", expiresOn="2026-09-30"),
           moveDate="2026-01-05")
    january = datetime(2026, 1, 10, 2, tzinfo=UTC)
    for _ in range(2):
        evaluate_rules(env, january, rule_keys=["stock.batch_near_expiry"])
    assert _active(env, "stock.batch_near_expiry") == []  # 41 days ahead: not yet
    february = datetime(2026, 2, 1, 2, tzinfo=UTC)
    for _ in range(2):
        evaluate_rules(env, february, rule_keys=["stock.batch_near_expiry"])
    active = _active(env, "stock.batch_near_expiry")
    assert len(active) == 1 and active[0][1] == "warning"
    with env.unit_of_work() as session:
        alert = list_alerts(session, rule_key="stock.batch_near_expiry")[0]
        assert alert.params["batch"] == "SOON" and alert.params["days"] == 19
    posted(api, line("YY-46", "5", "WH1/STOCK", "WH1/SCRAP", batchNumber="SOON"),
           moveDate="2026-02-02")
    report = evaluate_rules(env, datetime(2026, 2, 2, 2, tzinfo=UTC),
                            rule_keys=["stock.batch_near_expiry"])
    assert len(report.resolved) == 1 and _active(env, "stock.batch_near_expiry") == []


def test_batch_expiry_window_is_the_company_policy(env: Environment,
                                                   api: GraphQLTester) -> None:
    posted(api, line("YY-46", "5", "PARTNER/SUPPLIER", "WH1/STOCK", unitCost="80",
                     batchNumber="SOON", expiresOn="2026-02-20"), moveDate="2026-01-05")
    january = datetime(2026, 1, 10, 2, tzinfo=UTC)  # 41 days ahead: outside 30 days
    evaluate_rules(env, january, rule_keys=["stock.batch_near_expiry"])
    assert _active(env, "stock.batch_near_expiry") == []
    with env.unit_of_work() as session:
        set_policy(session, "stock.batch_expiry_days", "45")
    evaluate_rules(env, january, rule_keys=["stock.batch_near_expiry"])
    assert len(_active(env, "stock.batch_near_expiry")) == 1
