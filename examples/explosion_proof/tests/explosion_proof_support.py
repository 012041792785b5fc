"""A small catalogue for the explosion_proof tests: basic + explosion_proof at head,
category ``DJ`` (motors) and products ``M01``…; no test is collected from this module."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta

from explosion_proof.services import RatingInput, set_rating

from openjxc.addons.base_jxc.catalog.services import ProductInput, create_category, create_product
from openjxc.core.env import Environment
from openjxc.core.formatting import company_date
from openjxc.testing.fixtures import create_test_database

ADDONS = ["base_jxc", "explosion_proof"]


def build_env(database_url: str, products: Sequence[tuple[str, str]] = ()) -> Environment:
    """An environment at head with ``products`` given as ``(code, spec)``."""
    env = Environment.for_addons(ADDONS, database_url=database_url)
    create_test_database(env)
    with env.unit_of_work() as session:
        create_category(session, code="DJ", name="电机")
        for code, spec in products:
            create_product(session, ProductInput(code=code, name=f"防爆电机 {code}",
                                                 category_code="DJ", spec=spec))
    return env


def in_days(days: int) -> date:
    return company_date() + timedelta(days=days)


def rate(env: Environment, code: str, grade: str, *, expires_in: int = 400,
         number: str | None = None, alert_days: int = 30) -> None:
    with env.unit_of_work() as session:
        set_rating(session, RatingInput(
            product_code=code, grade=grade, certificate_number=number or f"CNEx{code}",
            certificate_issuer="CQST", certificate_expires_on=in_days(expires_in),
            alert_days=alert_days))
