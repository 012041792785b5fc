"""The stability promise of the plugin API, checked against a committed snapshot.

The snapshot (``tests/kit/api_stability.json``) records every hook's parameters and every
event payload of the kernel and the built-in addons.  :func:`breaking_changes` compares
it with the code; the rules and the deprecation path (:data:`hookspecs.DEPRECATED`) are
described in :mod:`openjxc.core.hookspecs`.  ``openjxc docs stability`` runs the check,
``--update`` records the current API once it passes (after adding hooks, parameters,
events or fields)::

    problems = breaking_changes(load_snapshot(path), current_api())
"""

from __future__ import annotations

import inspect
import json
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from packaging.version import InvalidVersion, Version

from openjxc import KERNEL_VERSION
from openjxc.core import hookspecs
from openjxc.core.docgen import event_docs, hook_docs, type_text
from openjxc.core.hookspecs import DEPRECATED, Deprecation

Snapshot = dict[str, Any]


def _hook_details() -> dict[str, dict[str, Any]]:
    """What an implementation relies on beyond the parameter names: each parameter's
    annotation, kind and default, the return annotation and pluggy's call options."""
    details: dict[str, dict[str, Any]] = {}
    for name, function in vars(hookspecs).items():
        opts = getattr(function, f"{hookspecs.PROJECT}_spec", None)
        if not callable(function) or opts is None:
            continue
        signature = inspect.signature(function)
        details[name] = {
            "parameters": {
                p.name: {"annotation": _annotation_text(p.annotation), "kind": p.kind.name,
                         "default": None if p.default is p.empty else repr(p.default)}
                for p in signature.parameters.values()},
            "returns": _annotation_text(signature.return_annotation) or "None",
            "options": {"firstresult": bool(opts.get("firstresult")),
                        "historic": bool(opts.get("historic"))},
        }
    return details


def _annotation_text(value: Any) -> str:
    if value is inspect.Parameter.empty:
        return ""
    return " ".join(value.split()) if isinstance(value, str) else type_text(value)


def current_api() -> Snapshot:
    """Hooks and the built-in events as the snapshot records them."""
    details = _hook_details()
    hooks = {h.name: {"added_in": h.added_in, "params": [name for name, _ in h.params],
                      **details[h.name]}
             for h in hook_docs()}
    events = {
        e.name: {"class": e.qualname, "owner": e.owner, "added_in": e.added_in,
                 "fields": {f.name: {"type": f.type, "required": f.required,
                                     "default": f.default}
                            for f in e.fields}}
        for e in event_docs("builtin")
    }
    return {"kernel": KERNEL_VERSION, "hooks": hooks,
            "events": dict(sorted(events.items()))}


def load_snapshot(path: Path) -> Snapshot:
    return json.loads(Path(path).read_text(encoding="utf-8"))  # type: ignore[no-any-return]


def write_snapshot(path: Path, api: Snapshot | None = None) -> None:
    text = json.dumps(api if api is not None else current_api(), indent=2, ensure_ascii=False)
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    Path(path).write_text(text + "\n", encoding="utf-8")


def _allowed(keys: tuple[str, ...], deprecated: Mapping[str, Deprecation],
             kernel_version: str) -> str | None:
    """``None`` when one of ``keys`` went through its deprecation up to this version,
    else the reason to add to the problem."""
    for key in keys:
        entry = deprecated.get(key)
        if entry is None:
            continue
        if Version(kernel_version) >= Version(entry.removed_in):
            return None
        return (f"deprecated since {entry.since}, but promised until {entry.removed_in} "
                f"(this kernel is {kernel_version})")
    return f"not deprecated first: add DEPRECATED[{keys[-1]!r}] in openjxc/core/hookspecs.py"


def breaking_changes(old: Snapshot, new: Snapshot, *,
                     deprecated: Mapping[str, Deprecation] | None = None,
                     kernel_version: str = KERNEL_VERSION) -> list[str]:
    """Every change from ``old`` to ``new`` that breaks the promise, one line each."""
    deprecated = DEPRECATED if deprecated is None else deprecated
    problems: list[str] = []

    def refuse(what: str, *keys: str) -> None:
        reason = _allowed(keys, deprecated, kernel_version)
        if reason is not None:
            problems.append(f"{what}: {reason}")

    for hook, before in old.get("hooks", {}).items():
        after = new.get("hooks", {}).get(hook)
        if after is None:
            refuse(f"hook {hook} was removed or renamed", hook)
            continue
        _hook_changes(hook, before, after, refuse)
        problems += _history_changes(f"hook {hook}", before, after)
    for event, before in old.get("events", {}).items():
        after = new.get("events", {}).get(event)
        if after is None:
            refuse(f"event {event} was removed or renamed", event)
            continue
        _event_changes(event, before, after, refuse)
        problems += _history_changes(f"event {event}", before, after)
        for field, spec in after["fields"].items():
            if field not in before["fields"] and spec["required"]:
                problems.append(f"field {field!r} was added to event {event} without a "
                                f"default: outbox rows written before cannot be read")
    return problems


Refuse = Callable[..., None]


def _history_changes(what: str, before: Snapshot, after: Snapshot) -> list[str]:
    """The version something was added in is history: partners rely on it."""
    if before.get("added_in") and before["added_in"] != after.get("added_in"):
        return [f"{what} now says it was added in {after.get('added_in')}, not "
                f"{before['added_in']}: the added-in version never changes"]
    return []


def _shown(value: object) -> str:
    return "nothing" if value in (None, "") else str(value)


def _reordered(before: list[str], after: list[str]) -> tuple[list[str], list[str]] | None:
    """The kept names in their old and new order when they are not in the same order."""
    kept = [name for name in after if name in before]
    still = [name for name in before if name in kept]
    return (still, kept) if kept != still else None


def _hook_changes(hook: str, before: Snapshot, after: Snapshot, refuse: Refuse) -> None:
    for param in before["params"]:
        if param not in after["params"]:
            refuse(f"parameter {param!r} of hook {hook} was removed or renamed",
                   hook, f"{hook}:{param}")
    moved = _reordered(before["params"], after["params"])
    if moved:
        refuse(f"parameters of hook {hook} were reordered ({', '.join(moved[0])} → "
               f"{', '.join(moved[1])})", hook)
    old_params, new_params = before.get("parameters", {}), after.get("parameters", {})
    for param, was in old_params.items():
        now = new_params.get(param)
        if now is None:
            continue
        for aspect in ("annotation", "kind", "default"):
            if was.get(aspect) != now.get(aspect):
                refuse(f"parameter {param!r} of hook {hook} changed its {aspect} from "
                       f"{_shown(was.get(aspect))} to {_shown(now.get(aspect))}",
                       hook, f"{hook}:{param}")
    if "returns" in before and before["returns"] != after.get("returns"):
        refuse(f"hook {hook} changed its return type from {before['returns']} to "
               f"{after.get('returns')}", hook)
    if "options" in before and before["options"] != after.get("options"):
        refuse(f"hook {hook} changed how pluggy calls it ({before['options']} → "
               f"{after.get('options')})", hook)


def _event_changes(event: str, before: Snapshot, after: Snapshot, refuse: Refuse) -> None:
    if "class" in before and before["class"] != after.get("class"):
        refuse(f"event {event} moved from {before['class']} to {after.get('class')} "
               f"(subscribers import it)", event)
    for field, spec in before["fields"].items():
        now = after["fields"].get(field)
        key = f"{event}:{field}"
        if now is None:
            refuse(f"field {field!r} of event {event} was removed or renamed", event, key)
            continue
        if now["type"] != spec["type"]:
            refuse(f"field {field!r} of event {event} changed type from {spec['type']} "
                   f"to {now['type']}", event, key)
        if not spec["required"] and now["required"]:
            refuse(f"field {field!r} of event {event} lost its default: publishers and "
                   f"outbox rows without it break", event, key)
        elif (not spec["required"] and not now["required"] and "default" in spec
              and spec["default"] != now.get("default")):
            refuse(f"field {field!r} of event {event} changed its default from "
                   f"{spec['default']} to {now.get('default')}", event, key)
    moved = _reordered(list(before["fields"]), list(after["fields"]))
    if moved:
        refuse(f"fields of event {event} were reordered ({', '.join(moved[0])} → "
               f"{', '.join(moved[1])}): positional construction breaks", event)


def missing_versions(api: Snapshot | None = None) -> list[str]:
    """Hooks and events that do not say which version they were added in."""
    api = current_api() if api is None else api
    problems = []
    for kind in ("hooks", "events"):
        for name, spec in api[kind].items():
            try:
                Version(str(spec["added_in"]))
            except (InvalidVersion, TypeError):
                hint = ('end its docstring with "Added in X.Y."' if kind == "hooks" else
                        'declare added_in: ClassVar[str] = "X.Y" in the class')
                problems.append(f"{kind[:-1]} {name} has no added-in version: {hint}")
    return problems


def invalid_deprecations(deprecated: Mapping[str, Deprecation] | None = None) -> list[str]:
    """Entries of the registry with versions that do not parse or do not follow."""
    problems = []
    for key, entry in (DEPRECATED if deprecated is None else deprecated).items():
        try:
            if Version(entry.removed_in) <= Version(entry.since):
                problems.append(f"DEPRECATED[{key!r}]: removed_in must come after since")
        except InvalidVersion as exc:
            problems.append(f"DEPRECATED[{key!r}]: {exc}")
    return problems


def check_snapshot(path: Path) -> list[str]:
    """Everything wrong with the code against the snapshot at ``path`` (none recorded
    yet: only the added-in versions and the registry are checked)."""
    api = current_api()
    problems = missing_versions(api) + invalid_deprecations()
    if Path(path).is_file():
        problems += breaking_changes(load_snapshot(path), api)
    return problems
