"""The "certificate expiring" alert opens within a certificate's alert days, turns
critical once it has expired, and resolves when a new certificate is recorded."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from explosion_proof.alerts import RULE_KEY
from explosion_proof.services import clear_rating
from explosion_proof_support import build_env, rate
from sqlalchemy import select

from openjxc.core.alerts import Alert, Severity, evaluate_rules
from openjxc.core.formatting import company_date


def _at(day: date) -> datetime:
    return datetime.combine(day, time(4), tzinfo=UTC)  # noon in Shanghai


def test_expiring_then_expired_then_renewed(database_url: str) -> None:
    env = build_env(database_url, [("M01", ""), ("M02", ""), ("M03", "")])
    today = company_date()
    try:
        rate(env, "M01", "Ex d IIB T4 Gb", expires_in=40)       # default: 30 days ahead
        rate(env, "M02", "Ex ia IIC T4 Ga", expires_in=40, alert_days=60)
        rate(env, "M03", "Ex d I Mb", expires_in=200)
        report = evaluate_rules(env, _at(today), [RULE_KEY])
        assert len(report.opened) == 1                          # M02 only
        report = evaluate_rules(env, _at(today + timedelta(days=10)), [RULE_KEY])
        assert len(report.opened) == 1 and report.resolved == []  # M01: 30 days left
        with env.unit_of_work() as session:
            alerts = session.scalars(select(Alert).where(Alert.rule_key == RULE_KEY)
                                     .order_by(Alert.id)).all()
            assert [a.severity for a in alerts] == [Severity.WARNING, Severity.WARNING]
            assert alerts[1].params["days"] == 30

        report = evaluate_rules(env, _at(today + timedelta(days=41)), [RULE_KEY])
        assert len(report.opened) == 2 and len(report.resolved) == 2  # both expired
        with env.unit_of_work() as session:
            expired = session.scalars(select(Alert).where(Alert.id.in_(report.opened))).all()
            assert {a.severity for a in expired} == {Severity.CRITICAL}

        rate(env, "M01", "Ex d IIB T4 Gb", expires_in=41 + 5 * 365, number="CNEx-NEW")
        with env.unit_of_work() as session:
            clear_rating(session, "M02")
        report = evaluate_rules(env, _at(today + timedelta(days=41)), [RULE_KEY])
        assert report.opened == [] and len(report.resolved) == 2
    finally:
        env.database.dispose()


def test_a_certificate_expires_at_the_companys_midnight_not_utcs(database_url: str) -> None:
    env = build_env(database_url, [("M01", "")])
    expires = company_date() + timedelta(days=3)
    try:
        rate(env, "M01", "Ex d IIB T4 Gb", expires_in=3)
        # 23:00 in Shanghai on the last valid day: still expiring, "in 0 days"
        evening = datetime.combine(expires, time(15), tzinfo=UTC)
        report = evaluate_rules(env, evening, [RULE_KEY])
        with env.unit_of_work() as session:
            [alert] = session.scalars(select(Alert).where(Alert.id.in_(report.opened))).all()
            assert (alert.severity, alert.params["days"]) == (Severity.WARNING, 0)
        # 01:00 in Shanghai the next day, still the same day in UTC: expired
        report = evaluate_rules(env, evening + timedelta(hours=2), [RULE_KEY])
        with env.unit_of_work() as session:
            [alert] = session.scalars(select(Alert).where(Alert.id.in_(report.opened))).all()
            assert (alert.severity, alert.params["days"]) == (Severity.CRITICAL, -1)
    finally:
        env.database.dispose()
