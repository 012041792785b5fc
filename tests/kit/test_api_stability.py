"""The stability promise: hooks and event payloads only grow, unless a deprecation says
what replaces them and the kernel reached the version it goes away in.  The checker is
proven on modified snapshots, one per kind of breaking change."""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

import click
import pytest
from click.testing import CliRunner

from openjxc.core.cli_kit import add_commands
from openjxc.core.docgen import event_docs, event_fields
from openjxc.core.events import Event
from openjxc.core.hookspecs import DEPRECATED, Deprecation
from openjxc.core.stability import (
    breaking_changes,
    check_snapshot,
    current_api,
    invalid_deprecations,
    load_snapshot,
    missing_versions,
    write_snapshot,
)

SNAPSHOT = Path(__file__).with_name("api_stability.json")
UPDATE = "openjxc docs stability --update"

#: A small API to break in every way.
BASE: dict[str, Any] = {
    "kernel": "0.1.0",
    "hooks": {
        "register_models": {"added_in": "0.1", "params": [], "parameters": {},
                            "returns": "Sequence[type]",
                            "options": {"firstresult": False, "historic": False}},
        "on_install": {
            "added_in": "0.1", "params": ["session", "env"],
            "parameters": {
                "session": {"annotation": "Session", "kind": "POSITIONAL_OR_KEYWORD",
                            "default": None},
                "env": {"annotation": "Environment", "kind": "POSITIONAL_OR_KEYWORD",
                        "default": None}},
            "returns": "None", "options": {"firstresult": False, "historic": False}},
    },
    "events": {
        "stock.delivered": {
            "class": "x.StockDelivered", "owner": "base_jxc", "added_in": "0.1",
            "fields": {"delivery_id": {"type": "int", "required": True, "default": None},
                       "serial_ids": {"type": "tuple[int, ...]", "required": True,
                                      "default": None},
                       "note": {"type": "str", "required": False, "default": "''"}},
        },
    },
}


def changed(edit: Any) -> dict[str, Any]:
    new = copy.deepcopy(BASE)
    edit(new)
    return new


def check(new: dict[str, Any], *, deprecated: dict[str, Deprecation] | None = None,
          kernel: str = "0.1.0") -> list[str]:
    return breaking_changes(BASE, new, deprecated=deprecated or {}, kernel_version=kernel)


# -- the code against the committed snapshot ----------------------------------------------

def test_the_code_keeps_the_promise_of_the_committed_snapshot() -> None:
    problems = check_snapshot(SNAPSHOT)
    assert problems == [], "\n".join(problems)


def test_the_snapshot_records_every_hook_and_built_in_event() -> None:
    recorded, now = load_snapshot(SNAPSHOT), current_api()
    assert sorted(now["hooks"]) == sorted(recorded["hooks"]), f"run `{UPDATE}`"
    assert sorted(now["events"]) == sorted(recorded["events"]), f"run `{UPDATE}`"
    for name, hook in now["hooks"].items():
        assert hook["params"] == recorded["hooks"][name]["params"], f"run `{UPDATE}`"
    for name, event in now["events"].items():
        assert event["fields"] == recorded["events"][name]["fields"], f"run `{UPDATE}`"


def test_every_hook_and_event_says_when_it_was_added_and_every_event_when_it_fires() -> None:
    assert missing_versions() == []
    for event in event_docs("builtin"):
        assert event.doc, f"{event.qualname} needs a docstring saying when it fires"
    assert invalid_deprecations() == []
    assert all(isinstance(entry, Deprecation) for entry in DEPRECATED.values())


# -- the checker, on modified snapshots -----------------------------------------------------

def test_an_unchanged_api_passes() -> None:
    assert check(copy.deepcopy(BASE)) == []


def test_growth_is_allowed() -> None:
    def grow(api: dict[str, Any]) -> None:
        api["hooks"]["register_reports"] = {"added_in": "0.2", "params": []}
        api["hooks"]["on_install"]["params"] = ["session", "settings", "env", "now"]
        api["hooks"]["on_install"]["parameters"]["now"] = {
            "annotation": "datetime", "kind": "POSITIONAL_OR_KEYWORD", "default": None}
        api["events"]["stock.returned"] = {"class": "x.R", "owner": "base_jxc",
                                           "added_in": "0.2", "fields": {}}
        api["events"]["stock.delivered"]["fields"]["memo"] = {"type": "str | None",
                                                              "required": False,
                                                              "default": "None"}
        api["events"]["stock.delivered"]["fields"]["delivery_id"].update(required=False,
                                                                         default="0")
    assert check(changed(grow)) == []


@pytest.mark.parametrize(("edit", "expected"), [
    (lambda api: api["hooks"].pop("on_install"), "hook on_install was removed or renamed"),
    (lambda api: api["hooks"].update(on_setup=api["hooks"].pop("on_install")),
     "hook on_install was removed or renamed"),
    (lambda api: api["hooks"]["on_install"].update(params=["session"]),
     "parameter 'env' of hook on_install was removed or renamed"),
    (lambda api: api["hooks"]["on_install"].update(params=["session", "environment"]),
     "parameter 'env' of hook on_install was removed or renamed"),
    (lambda api: api["hooks"]["on_install"].update(params=["env", "session"]),
     "parameters of hook on_install were reordered (session, env → env, session)"),
    (lambda api: api["events"].pop("stock.delivered"),
     "event stock.delivered was removed or renamed"),
    (lambda api: api["events"].update({"stock.shipped": api["events"].pop("stock.delivered")}),
     "event stock.delivered was removed or renamed"),
    (lambda api: api["events"]["stock.delivered"]["fields"].pop("serial_ids"),
     "field 'serial_ids' of event stock.delivered was removed or renamed"),
    (lambda api: api["events"]["stock.delivered"]["fields"].update(
        serials=api["events"]["stock.delivered"]["fields"].pop("serial_ids")),
     "field 'serial_ids' of event stock.delivered was removed or renamed"),
    (lambda api: api["events"]["stock.delivered"]["fields"]["delivery_id"].update(type="str"),
     "field 'delivery_id' of event stock.delivered changed type from int to str"),
    # what only names and types would not see
    (lambda api: api["hooks"]["on_install"]["parameters"]["session"].update(
        annotation="Connection"),
     "parameter 'session' of hook on_install changed its annotation from Session to "
     "Connection"),
    (lambda api: api["hooks"]["on_install"]["parameters"]["env"].update(kind="KEYWORD_ONLY"),
     "parameter 'env' of hook on_install changed its kind from POSITIONAL_OR_KEYWORD to "
     "KEYWORD_ONLY"),
    (lambda api: api["hooks"]["on_install"]["parameters"]["env"].update(default="None"),
     "parameter 'env' of hook on_install changed its default from nothing to None"),
    (lambda api: api["hooks"]["register_models"].update(returns="dict[str, type]"),
     "hook register_models changed its return type from Sequence[type] to dict[str, type]"),
    (lambda api: api["hooks"]["register_models"]["options"].update(firstresult=True),
     "hook register_models changed how pluggy calls it"),
    (lambda api: api["events"]["stock.delivered"].update(**{"class": "y.StockDelivered"}),
     "event stock.delivered moved from x.StockDelivered to y.StockDelivered"),
    (lambda api: api["events"]["stock.delivered"]["fields"]["note"].update(default="None"),
     "field 'note' of event stock.delivered changed its default from '' to None"),
    (lambda api: api["events"]["stock.delivered"]["fields"]["note"].update(required=True,
                                                                           default=None),
     "field 'note' of event stock.delivered lost its default"),
    (lambda api: api["events"]["stock.delivered"].update(fields=dict(reversed(
        api["events"]["stock.delivered"]["fields"].items()))),
     "fields of event stock.delivered were reordered (delivery_id, serial_ids, note → "
     "note, serial_ids, delivery_id)"),
])
def test_each_kind_of_breaking_change_fails(edit: Any, expected: str) -> None:
    problems = check(changed(edit))
    assert problems and problems[0].startswith(expected), problems
    assert "add DEPRECATED[" in problems[0]


def test_an_event_field_added_without_a_default_fails_even_when_deprecated() -> None:
    def add(api: dict[str, Any]) -> None:
        api["events"]["stock.delivered"]["fields"]["warehouse_id"] = {"type": "int",
                                                                      "required": True}
    deprecation = {"stock.delivered": Deprecation(since="0.1", removed_in="0.1")}
    for deprecated in ({}, deprecation):
        problems = check(changed(add), deprecated=deprecated)
        assert problems == ["field 'warehouse_id' was added to event stock.delivered "
                            "without a default: outbox rows written before cannot be read"]


def test_a_deprecated_change_passes_once_the_kernel_reaches_its_removal() -> None:
    removed = changed(lambda api: api["hooks"]["on_install"].update(params=["session"]))
    deprecated = {"on_install:env": Deprecation(since="0.2", removed_in="0.3",
                                                replacement="on_install(environment=...)")}
    too_early = check(removed, deprecated=deprecated, kernel="0.2.5")
    assert too_early == ["parameter 'env' of hook on_install was removed or renamed: "
                         "deprecated since 0.2, but promised until 0.3 (this kernel is 0.2.5)"]
    assert check(removed, deprecated=deprecated, kernel="0.3.0") == []
    retyped = changed(lambda api: api["events"]["stock.delivered"]["fields"]["delivery_id"]
                      .update(type="str"))
    field_key = {"stock.delivered:delivery_id": Deprecation(since="0.1", removed_in="0.2")}
    assert check(retyped, deprecated=field_key, kernel="0.2.0") == []
    whole_event = {"stock.delivered": Deprecation(since="0.1", removed_in="0.2")}
    gone = changed(lambda api: api["events"].pop("stock.delivered"))
    assert check(gone, deprecated=whole_event, kernel="0.2.0") == []
    assert check(gone, deprecated=whole_event, kernel="0.1.0") != []


def test_missing_versions_and_bad_deprecations_are_reported() -> None:
    api = changed(lambda api: api["hooks"]["on_install"].update(added_in=None))
    api["events"]["stock.delivered"]["added_in"] = None
    assert missing_versions(api) == [
        'hook on_install has no added-in version: end its docstring with "Added in X.Y."',
        "event stock.delivered has no added-in version: declare added_in: ClassVar[str] = "
        '"X.Y" in the class']
    assert invalid_deprecations({"x": Deprecation(since="0.3", removed_in="0.2")}) == [
        "DEPRECATED['x']: removed_in must come after since"]
    assert invalid_deprecations({"x": Deprecation(since="soon", removed_in="0.2")}) != []


def test_event_fields_know_whether_old_payloads_can_be_read() -> None:
    @dataclass(frozen=True)
    class Grown(Event):
        """Fires in this test."""

        name: ClassVar[str] = "test.grown"
        added_in: ClassVar[str] = "0.1"
        first: int
        later: str = field(default="", metadata={"added_in": "0.2"})

    fields = {f.name: f for f in event_fields(Grown)}
    assert fields["first"].required and not fields["later"].required
    assert fields["later"].added_in == "0.2"
    assert Grown.from_payload({"first": 1}) == Grown(first=1)  # an old outbox row


def test_the_stability_command_refuses_a_break_and_updates_otherwise(tmp_path: Path) -> None:
    group = click.Group()
    add_commands(group)
    runner = CliRunner()
    snapshot = tmp_path / "api.json"
    broken = current_api()
    broken["hooks"]["register_everything"] = {"added_in": "0.1", "params": ["everything"]}
    write_snapshot(snapshot, broken)
    refused = runner.invoke(group, ["docs", "stability", "--snapshot", str(snapshot),
                                    "--update"])
    assert refused.exit_code == 1
    assert "hook register_everything was removed or renamed" in refused.output
    assert load_snapshot(snapshot) == broken  # not rewritten
    forced = runner.invoke(group, ["docs", "stability", "--snapshot", str(snapshot),
                                   "--update", "--force"])
    assert forced.exit_code == 0, forced.output
    assert load_snapshot(snapshot) == current_api()
    fine = runner.invoke(group, ["docs", "stability", "--snapshot", str(snapshot)])
    assert fine.exit_code == 0 and "no breaking change" in fine.output


def test_an_added_in_version_is_history_and_never_changes() -> None:
    def rewrite(api: dict[str, Any]) -> None:
        api["hooks"]["on_install"]["added_in"] = "0.2"
        api["events"]["stock.delivered"]["added_in"] = "0.3"
    assert check(changed(rewrite), deprecated={"on_install": Deprecation("0.1", "0.1")}) == [
        "hook on_install now says it was added in 0.2, not 0.1: the added-in version never "
        "changes",
        "event stock.delivered now says it was added in 0.3, not 0.1: the added-in version "
        "never changes"]
