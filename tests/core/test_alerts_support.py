"""Shared fixtures of the alert tests: throw-away addons declaring rules and channels,
environments on the test's database, and a fake business whose facts the rules read.

The kernel knows no business, so the rules here read a dictionary the test changes
(``Facts.shortages``): what matters is what the kernel does with the conditions a rule
reports.  The addons carry a zh_CN catalogue for their rule's title and message, so that
delivery tests can see the deployment's default language at work.
"""

from __future__ import annotations

import importlib
import sys
import uuid
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, ClassVar

import pytest
from sqlalchemy import select

from openjxc.core.addons import AddonManifest, read_manifest
from openjxc.core.alerts import Alert, AlertCondition, AlertRule
from openjxc.core.config import Settings
from openjxc.core.db import Database
from openjxc.core.env import Environment
from openjxc.core.events import Event, OutboxMessage
from openjxc.core.i18n import _
from openjxc.core.models import Base
from openjxc.core.security import User

T0 = datetime(2030, 3, 1, 8, 0, tzinfo=UTC)

ADDON_SOURCE = """
from openjxc.core.hookspecs import hookimpl

RULES = []
CHANNELS = []


@hookimpl
def register_alert_rules():
    return list(RULES)


@hookimpl
def register_alert_channels():
    return list(CHANNELS)
"""

ZH_CATALOGUE = """msgid ""
msgstr ""
"Content-Type: text/plain; charset=utf-8\\n"
"Language: zh_CN\\n"

msgid "Stock below safety level"
msgstr "库存低于安全库存"

msgid "{code}: {quantity} left"
msgstr "{code}：仅剩 {quantity}"
"""

AddonFactory = Callable[..., AddonManifest]
EnvFactory = Callable[..., Environment]


@dataclass(frozen=True)
class StockMoved(Event):
    name: ClassVar[str] = "test.alerts.stock.moved"
    product_id: int


@pytest.fixture
def make_addon(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[AddonFactory]:
    """``make_addon(rules, channels)``: a new addon package contributing them."""
    monkeypatch.syspath_prepend(str(tmp_path))
    made: list[str] = []

    def make(rules: Sequence[AlertRule] = (), channels: Sequence[Any] = ()) -> AddonManifest:
        name = f"alerts_fake_{uuid.uuid4().hex[:8]}"
        package = tmp_path / name
        messages = package / "i18n" / "zh_CN" / "LC_MESSAGES"
        messages.mkdir(parents=True)
        (messages / "messages.po").write_text(ZH_CATALOGUE, encoding="utf-8")
        (package / "manifest.toml").write_text(
            f'name = "{name}"\nversion = "1.0"\nkernel = ">=0.1"\ndepends = []\n'
            f'tier = "basic"\nsummary = "alerts test addon"\ntable_prefix = "{name}"\n')
        (package / "__init__.py").write_text(ADDON_SOURCE)
        importlib.invalidate_caches()
        module = importlib.import_module(name)
        module.RULES.extend(rules)
        module.CHANNELS.extend(channels)
        made.append(name)
        return read_manifest(name)

    yield make
    for name in made:
        sys.modules.pop(name, None)


@pytest.fixture
def build_env(database_url: str) -> Iterator[EnvFactory]:
    """``build_env(*addons, settings=...)``: an environment on the test's database with its
    own engine (as a separate worker process would have), tables created from its models."""
    databases: list[Database] = []

    def build(*manifests: AddonManifest, settings: Settings | None = None) -> Environment:
        database = Database(database_url)
        databases.append(database)
        env = Environment(list(manifests), database=database, settings=settings or Settings())
        Base.metadata.create_all(database.engine, tables=env.tables)
        return env

    yield build
    for database in databases:
        database.dispose()


class Facts:
    """What the fake business looks like right now: condition key → message parameters
    (a ``severity`` parameter also sets the condition's severity)."""

    def __init__(self, shortages: dict[str, dict[str, Any]] | None = None) -> None:
        self.shortages: dict[str, dict[str, Any]] = dict(shortages or {})
        self.calls = 0

    def below_safety(self, session: Any, env: Environment, now: datetime
                     ) -> Iterator[AlertCondition]:
        self.calls += 1
        for key, params in sorted(self.shortages.items()):
            yield AlertCondition(key, _("{code}: {quantity} left"), params=params,
                                 subject={"product": int(key.split(":")[1])},
                                 severity=params.get("severity"))

    def rule(self, key: str = "stock.below_safety", **options: Any) -> AlertRule:
        return AlertRule(key, _("Stock below safety level"), self.below_safety, **options)


def alerts(env: Environment) -> list[Alert]:
    with env.unit_of_work(readonly=True) as session:
        return list(session.scalars(select(Alert).order_by(Alert.id)))


def outbox_rows(env: Environment) -> list[OutboxMessage]:
    with env.unit_of_work(readonly=True) as session:
        return list(session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))


def add_user(env: Environment, username: str = "wang.li") -> int:
    with env.unit_of_work() as session:
        user = User(username=username, username_key=username, password_hash="-")
        session.add(user)
        session.flush()
        return user.id
