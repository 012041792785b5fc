"""The generated reference docs: the committed docs/hooks.md and docs/events.md are what
``openjxc docs`` generates now, and they say what a partner needs (signatures, added-in
versions, payloads, owners, subscribers and their phase)."""

from __future__ import annotations

import inspect
import os
import subprocess
import sys
import tomllib
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import ClassVar, Literal

import click
import pytest
from click.testing import CliRunner

from openjxc.core import hookspecs
from openjxc.core.addons import AddonManifest, discover
from openjxc.core.cli_kit import add_commands
from openjxc.core.docgen import (
    EXAMPLES,
    EventDoc,
    FieldDoc,
    SubscriberDoc,
    event_docs,
    event_fields,
    events_markdown,
    hook_docs,
    hooks_markdown,
    in_scope,
    type_text,
)
from openjxc.core.events import Event
from openjxc.core.hookspecs import Deprecation

DOCS = Path(__file__).resolve().parents[2] / "docs"


def _subclasses(cls: type) -> set[type]:
    found: set[type] = set(cls.__subclasses__())
    for sub in list(found):
        found |= _subclasses(sub)
    return found


def test_the_committed_hook_reference_is_up_to_date() -> None:
    committed = (DOCS / "hooks.md").read_text(encoding="utf-8")
    assert committed == hooks_markdown(), (
        "docs/hooks.md differs from the code; run `openjxc docs hooks --output docs/hooks.md`")


def test_the_committed_event_catalogue_is_up_to_date() -> None:
    committed = (DOCS / "events.md").read_text(encoding="utf-8")
    assert committed == events_markdown(), (
        "docs/events.md differs from the code; run "
        "`openjxc docs events --output docs/events.md`")


def test_every_hook_is_documented_with_its_signature_and_version() -> None:
    specs = [name for name, fn in vars(hookspecs).items()
             if callable(fn) and hasattr(fn, "openjxc_spec")]
    hooks = {h.name: h for h in hook_docs()}
    assert sorted(hooks) == sorted(specs)
    text = hooks_markdown()
    for name in specs:
        hook = hooks[name]
        assert f"### {name}\n" in text
        assert f"def {hook.signature}: ..." in text
        assert hook.added_in is not None
    assert hooks["on_install"].signature == (
        "on_install(session: Session, env: Environment) -> None")
    assert "## Deprecations" in text and "DEPRECATED" in text


def test_every_event_class_of_the_addons_is_catalogued_with_its_owner() -> None:
    events = {e.qualname: e for e in event_docs()}
    defined = {f"{c.__module__}.{c.__qualname__}" for c in _subclasses(Event)
               if c.__module__.startswith("openjxc.addons.")}
    assert defined <= set(events), f"missing from the catalogue: {defined - set(events)}"
    delivered = next(e for e in events.values() if e.name == "sales.delivered")
    assert delivered.owner == "base_jxc"
    assert delivered.added_in == "0.1"
    assert delivered.doc.startswith("Fires when")
    assert {f.name: f.type for f in delivered.fields}["serial_ids"] == "tuple[int, ...]"
    assert any(s.owner == "serial_warranty" and s.phase == "in the transaction"
               for s in delivered.subscribers)


def test_the_catalogue_says_where_events_are_published_and_each_phase() -> None:
    @dataclass(frozen=True)
    class Sample(Event):
        """Fires when a sample is taken."""

        name: ClassVar[str] = "sample.taken"
        added_in: ClassVar[str] = "0.1"
        sample_id: int
        note: str | None = field(default=None, metadata={"added_in": "0.2"})

    doc = EventDoc(name="sample.taken", qualname="x.Sample", owner="lab", added_in="0.1",
                   doc=inspect.getdoc(Sample) or "", fields=event_fields(Sample),
                   subscribers=(SubscriberDoc("audit", "audit.on_sample", "in the transaction"),
                                SubscriberDoc("mailer", "mailer.send",
                                              "after commit via the outbox")))
    text = events_markdown([doc])
    assert "Events are always published inside the business transaction" in text
    assert "| `sample_id` | `int` | — | 0.1 |" in text
    assert "| `note` | `str \\| None` | `None` | 0.2 |" in text  # a pipe escaped in a table
    assert "* `audit`: `audit.on_sample` — in the transaction" in text
    assert "* `mailer`: `mailer.send` — after commit via the outbox" in text
    assert "Fires when a sample is taken." in text


def test_field_types_are_written_one_way() -> None:
    assert type_text(int) == "int"
    assert type_text(tuple[Decimal, ...]) == "tuple[Decimal, ...]"
    assert type_text(date | None) == "date | None"
    assert type_text(tuple[tuple[int, str, int | None], ...]) == (
        "tuple[tuple[int, str, int | None], ...]")
    assert type_text(Literal["a", "b"]) == "Literal['a', 'b']"
    assert type_text(dict[str, list[int]]) == "dict[str, list[int]]"
    assert FieldDoc("x", "int", True, None, None).required


def test_the_docs_commands_print_or_write_the_same_text(tmp_path: Path) -> None:
    group = click.Group()
    add_commands(group)
    runner = CliRunner()
    printed = runner.invoke(group, ["docs", "hooks"])
    assert printed.exit_code == 0 and printed.output == hooks_markdown()
    target = tmp_path / "out" / "hooks.md"
    written = runner.invoke(group, ["docs", "hooks", "--output", str(target)])
    assert written.exit_code == 0 and target.read_text(encoding="utf-8") == hooks_markdown()


def test_the_catalogue_holds_the_built_in_addons_and_the_examples_and_nothing_else(
        tmp_path: Path) -> None:
    available = discover()
    for project in sorted(EXAMPLES.glob("*/pyproject.toml")):
        entry_points = tomllib.loads(project.read_text(encoding="utf-8"))["project"][
            "entry-points"]["openjxc.addons"]
        for name in entry_points:
            assert name in available, f"examples/{project.parent.name} is not installed: " \
                                      "run `make setup` (it installs every example)"
            assert in_scope(available[name], "repo")
            assert not in_scope(available[name], "builtin")
    elsewhere = AddonManifest(name="fire_guard", version="0.1.0", kernel=">=0.1", depends=(),
                              tier="basic", summary="x", package="fire_guard",
                              path=tmp_path / "fire_guard", table_prefix="fg")
    assert not in_scope(elsewhere, "repo")  # a partner's addon in this venv changes nothing
    assert in_scope(elsewhere, "installed")
    assert in_scope(available["base_jxc"], "builtin")


def test_the_docs_are_the_same_in_a_fresh_process_with_another_hash_seed() -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST_", "COV_"))}
    env["PYTHONHASHSEED"] = "4242"
    script = ("from openjxc.core.docgen import events_markdown, hooks_markdown;"
              "import sys; sys.stdout.write(hooks_markdown() + '\\f' + events_markdown())")
    done = subprocess.run([sys.executable, "-c", script], cwd="/", env=env, text=True,
                          capture_output=True, timeout=120, check=False, encoding="utf-8")
    assert done.returncode == 0, done.stderr
    hooks, events = done.stdout.split("\f")
    assert hooks == (DOCS / "hooks.md").read_text(encoding="utf-8")
    assert events == (DOCS / "events.md").read_text(encoding="utf-8")


def test_a_partner_addon_installed_here_does_not_change_the_catalogue(
        monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    import openjxc.core.docgen as docgen

    installed = discover()
    partner = AddonManifest(name="a_partner", version="0.1.0", kernel=">=0.1",
                            depends=("service_orders",), tier="basic", summary="x",
                            package="a_partner", path=tmp_path / "a_partner",
                            table_prefix="ap")
    broken = AddonManifest(name="b_broken", version="0.1.0", kernel=">=0.1",
                           depends=("nowhere",), tier="basic", summary="x",
                           package="b_broken", path=tmp_path / "b_broken", table_prefix="bb")
    monkeypatch.setattr(docgen, "discover",
                        lambda: {**installed, "a_partner": partner, "b_broken": broken})
    assert events_markdown() == (DOCS / "events.md").read_text(encoding="utf-8")


def test_the_catalogue_lists_exactly_the_subscribers_a_booted_environment_has() -> None:
    import warnings

    from openjxc.core.docgen import PHASES, _addons
    from openjxc.core.env import Environment

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        env = Environment.for_addons([m.name for m in _addons("repo")])
    bus = env.events
    booted = set()
    alerted = set()
    for key, owner in bus.owners.items():
        event, handler = key.split(":", 1)
        if handler == "openjxc.core.alerts.registry.record_triggers":
            alerted.add(event)  # the alerting's one trigger recorder, per listening rule
            continue
        phase = "after_commit" if key in bus.handlers else "transaction"
        booted.add((event, handler, owner, PHASES[phase]))
    events = event_docs()
    documented = {(e.name, s.handler, s.owner, s.phase) for e in events for s in e.subscribers
                  if not s.handler.startswith("alert rule ")}
    assert documented == booted
    assert alerted == {e.name for e in events for s in e.subscribers
                       if s.handler.startswith("alert rule ")}


def test_deprecations_are_listed_in_both_references(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(hookspecs, "DEPRECATED", {
        "sample.taken": Deprecation(since="0.2", removed_in="0.3",
                                    replacement="sample.recorded"),
        "sample.taken:note": Deprecation(since="0.2", removed_in="0.4"),
        "on_install:env": Deprecation(since="0.2", removed_in="0.3",
                                      replacement="on_install(environment=...)")})
    doc = EventDoc(name="sample.taken", qualname="x.Sample", owner="lab", added_in="0.1",
                   doc="Fires when a sample is taken.",
                   fields=(FieldDoc("note", "str", False, "''", None),), subscribers=())
    text = events_markdown([doc])
    assert ("**Deprecated:** this event since 0.2, removed in 0.3; use sample.recorded "
            "instead.") in text
    assert "**Deprecated:** `note` since 0.2, removed in 0.4." in text
    assert "| `on_install:env` | 0.2 | 0.3 | on_install(environment=...) |" in hooks_markdown()
