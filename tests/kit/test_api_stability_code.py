"""The stability check sees breaking changes made in the code itself (not only in a
hand-edited snapshot): a hook's parameter turned keyword-only or re-annotated, an event
renamed or moved, a field's default changed; and a deprecation warns the partners who
still use the deprecated hook or parameter."""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

import pluggy
import pytest

from openjxc.addons.base_jxc.sales.events import SalesDelivered
from openjxc.core import hookspecs
from openjxc.core.docgen import event_fields
from openjxc.core.events import Event
from openjxc.core.hookspecs import Deprecation, apply_deprecations, hookimpl, hookspec
from openjxc.core.stability import breaking_changes, check_snapshot

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from openjxc.core.env import Environment

SNAPSHOT = Path(__file__).with_name("api_stability.json")


@hookspec
def on_install_keyword_only(session: Session, *, env: Environment) -> None:
    """A changed copy of on_install.  Added in 0.1."""


@hookspec
def on_install_reannotated(session: Session, env: object) -> None:
    """A changed copy of on_install.  Added in 0.1."""


@hookspec(firstresult=True)
def register_models_first() -> Any:
    """A changed copy of register_models.  Added in 0.1."""


@pytest.mark.parametrize(("name", "replacement", "expected"), [
    ("on_install", on_install_keyword_only,
     "parameter 'env' of hook on_install changed its kind from POSITIONAL_OR_KEYWORD to "
     "KEYWORD_ONLY"),
    ("on_install", on_install_reannotated,
     "parameter 'env' of hook on_install changed its annotation from Environment to object"),
    ("register_models", register_models_first,
     "hook register_models changed its return type from Sequence[type] to Any"),
])
def test_a_changed_hook_signature_fails_against_the_committed_snapshot(
        monkeypatch: pytest.MonkeyPatch, name: str, replacement: Any, expected: str) -> None:
    monkeypatch.setattr(hookspecs, name, replacement)
    problems = check_snapshot(SNAPSHOT)
    assert any(p.startswith(expected) for p in problems), problems
    assert all("not deprecated first" in p for p in problems), problems


def test_firstresult_is_part_of_the_promise(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(hookspecs, "register_models", register_models_first)
    assert any("changed how pluggy calls it" in p for p in check_snapshot(SNAPSHOT))


def test_an_event_renamed_or_moved_in_the_code_fails(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(SalesDelivered, "name", "sales.shipped")
    assert any(p.startswith("event sales.delivered was removed or renamed")
               for p in check_snapshot(SNAPSHOT))
    monkeypatch.undo()
    SalesDelivered.__qualname__ = "Delivered"  # pytest cannot undo this one
    try:
        problems = check_snapshot(SNAPSHOT)
    finally:
        SalesDelivered.__qualname__ = "SalesDelivered"
    assert any(p.startswith("event sales.delivered moved from "
                            "openjxc.addons.base_jxc.sales.events.SalesDelivered to "
                            "openjxc.addons.base_jxc.sales.events.Delivered")
               for p in problems), problems


def _api(cls: type[Event]) -> dict[str, Any]:
    fields = {f.name: {"type": f.type, "required": f.required, "default": f.default}
              for f in event_fields(cls)}
    return {"hooks": {}, "events": {"lab.sampled": {"class": "lab.Sampled", "owner": "lab",
                                                    "added_in": "0.1", "fields": fields}}}


def test_an_event_field_default_changed_to_none_in_the_code_fails() -> None:
    @dataclass(frozen=True)
    class Before(Event):
        """Fires in this test."""

        name: ClassVar[str] = "lab.sampled"
        sample_id: int
        note: str | None = ""
        tags: frozenset[str] = frozenset({"b", "a", "c"})

    @dataclass(frozen=True)
    class After(Event):
        """Fires in this test."""

        name: ClassVar[str] = "lab.sampled"
        sample_id: int
        note: str | None = None
        tags: frozenset[str] = frozenset({"c", "a", "b"})

    assert _api(Before)["events"]["lab.sampled"]["fields"]["tags"]["default"] == (
        "frozenset({'a', 'b', 'c'})")  # the same text whatever the hash seed
    assert breaking_changes(_api(Before), _api(After), deprecated={}) == [
        "field 'note' of event lab.sampled changed its default from '' to None: not "
        "deprecated first: add DEPRECATED['lab.sampled:note'] in openjxc/core/hookspecs.py"]


class OldPartner:
    @hookimpl
    def on_install(self, session: Session, env: Environment) -> None:
        pass


class UpToDatePartner:
    @hookimpl
    def on_install(self, session: Session) -> None:
        pass


def _register(plugin: object) -> list[str]:
    pm = pluggy.PluginManager(hookspecs.PROJECT)
    pm.add_hookspecs(hookspecs)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        pm.register(plugin)
    return [str(w.message) for w in caught if issubclass(w.category, DeprecationWarning)]


def test_a_deprecated_hook_or_parameter_warns_the_addons_still_using_it() -> None:
    deprecated = {"on_install:env": Deprecation(since="0.2", removed_in="0.3",
                                                replacement="on_install(environment=...)"),
                  "load_demo_data": Deprecation(since="0.2", removed_in="0.4")}
    try:
        apply_deprecations(deprecated)
        assert _register(OldPartner()) == [
            "OpenJXC: on_install:env is deprecated since 0.2 and goes away in 0.3; use "
            "on_install(environment=...) instead"]
        assert _register(UpToDatePartner()) == []
    finally:
        apply_deprecations()
    assert _register(OldPartner()) == []  # nothing is deprecated in this kernel
    assert hookspecs.on_install.openjxc_spec["warn_on_impl_args"] is None  # type: ignore[attr-defined]
