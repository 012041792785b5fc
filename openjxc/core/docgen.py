"""The generated reference docs: ``docs/hooks.md`` (every hook of :mod:`.hookspecs`) and
``docs/events.md`` (every event of the kernel and of every installed addon, with its
payload and its subscribers).

Both are written by ``openjxc docs hooks|events --output FILE`` and compared with the
committed files by the test suite, so the reference never drifts from the code.  The
facts gathered here (:func:`hook_docs`, :func:`event_docs`) are also what the stability
snapshot records (:mod:`openjxc.core.stability`).
"""

from __future__ import annotations

import dataclasses
import importlib
import inspect
import pkgutil
import re
import types
import typing
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from openjxc.core import hookspecs
from openjxc.core.addons import AddonManifest, discover, resolve
from openjxc.core.events import Event, Subscription

KERNEL = "core"
KERNEL_PACKAGES = ("openjxc.core", "openjxc.graphql")
KERNEL_PLUGIN = "openjxc.core.kernel"
_ADDED_IN = re.compile(r"Added in (\d+(?:\.\d+)+)")
PHASES = {"transaction": "in the transaction", "after_commit": "after commit via the outbox"}


@dataclass(frozen=True)
class HookDoc:
    name: str
    params: tuple[tuple[str, str], ...]  # (name, annotation)
    returns: str
    doc: str
    added_in: str | None

    @property
    def signature(self) -> str:
        params = ", ".join(f"{n}: {a}" if a else n for n, a in self.params)
        return f"{self.name}({params}) -> {self.returns}"


@dataclass(frozen=True)
class FieldDoc:
    name: str
    type: str
    required: bool
    default: str | None
    added_in: str | None


@dataclass(frozen=True)
class SubscriberDoc:
    owner: str
    handler: str
    phase: str


@dataclass(frozen=True)
class EventDoc:
    name: str
    qualname: str
    owner: str
    added_in: str | None
    doc: str
    fields: tuple[FieldDoc, ...]
    subscribers: tuple[SubscriberDoc, ...]


# -- hooks -------------------------------------------------------------------------------

def _annotation(value: Any) -> str:
    if value is inspect.Parameter.empty:
        return ""
    return value if isinstance(value, str) else type_text(value)


def hook_docs() -> list[HookDoc]:
    """Every hook specification, in the order of :mod:`.hookspecs`."""
    found: list[tuple[int, HookDoc]] = []
    for name, function in vars(hookspecs).items():
        if not callable(function) or not hasattr(function, f"{hookspecs.PROJECT}_spec"):
            continue
        signature = inspect.signature(function)
        doc = inspect.cleandoc(function.__doc__ or "")
        added = _ADDED_IN.search(" ".join(doc.split()))
        found.append((function.__code__.co_firstlineno, HookDoc(
            name=name,
            params=tuple((p.name, _annotation(p.annotation))
                         for p in signature.parameters.values()),
            returns=_annotation(signature.return_annotation) or "None",
            doc=doc, added_in=added.group(1) if added else None)))
    return [doc for _line, doc in sorted(found, key=lambda item: item[0])]


# -- events ------------------------------------------------------------------------------

def type_text(hint: Any) -> str:
    """A type as one canonical string (``tuple[int, ...]``, ``Decimal | None``)."""
    if hint is type(None):
        return "None"
    if hint is Ellipsis:
        return "..."
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if origin in (typing.Union, types.UnionType):
        return " | ".join(type_text(a) for a in args)
    if origin is typing.Literal:
        return f"Literal[{', '.join(repr(a) for a in args)}]"
    if origin is not None:
        name = getattr(origin, "__name__", str(origin))
        return f"{name}[{', '.join(type_text(a) for a in args)}]" if args else name
    if isinstance(hint, type):
        return hint.__name__
    return str(hint).replace("typing.", "")


def default_text(value: Any) -> str:
    """A default as the same text on every machine: sets are sorted (their ``repr``
    follows string hashing, which changes from run to run), the rest is ``repr``."""
    if isinstance(value, set | frozenset):
        items = ", ".join(sorted(default_text(v) for v in value))
        return f"{type(value).__name__}({{{items}}})" if value else f"{type(value).__name__}()"
    return repr(value)


def _own_doc(cls: type) -> str:
    """The class's docstring; dataclasses invent one (``Name(a: int)``) when it has none."""
    doc = cls.__dict__.get("__doc__") or ""
    if doc.startswith(f"{cls.__name__}("):
        return ""
    return inspect.cleandoc(doc)


def event_fields(cls: type[Event]) -> tuple[FieldDoc, ...]:
    try:
        hints = typing.get_type_hints(cls)
    except Exception:  # an unresolvable annotation: show it as written
        hints = {}
    fields = []
    for f in dataclasses.fields(cls):
        hint = hints.get(f.name, f.type)
        required = (f.default is dataclasses.MISSING
                    and f.default_factory is dataclasses.MISSING)
        default = None
        if f.default is not dataclasses.MISSING:
            default = default_text(f.default)
        elif f.default_factory is not dataclasses.MISSING:
            default = f"{getattr(f.default_factory, '__name__', 'factory')}()"
        fields.append(FieldDoc(name=f.name, type=type_text(hint) if hints else str(hint),
                               required=required, default=default,
                               added_in=f.metadata.get("added_in")))
    return tuple(fields)


#: ``builtin``: the addons shipped in the ``openjxc`` distribution; ``repo``: those and the
#: example partner addons of this repository (``examples/``, installed by ``make setup``);
#: ``installed``: every addon installed here.
Scope = Literal["builtin", "repo", "installed"]
EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def in_scope(manifest: AddonManifest, scope: Scope) -> bool:
    if scope == "installed" or manifest.package.startswith("openjxc."):
        return True
    return scope == "repo" and Path(manifest.path).resolve().is_relative_to(EXAMPLES)


def _addons(scope: Scope) -> list[AddonManifest]:
    """The addons of ``scope``, in dependency order when they resolve among themselves
    (so an addon out of scope, broken or not, never changes the order of the others)."""
    available = {name: m for name, m in discover().items() if in_scope(m, scope)}
    try:
        return resolve(sorted(available), available)
    except Exception:  # addons for another kernel, or a missing dependency: keep going
        return [available[name] for name in sorted(available)]


def _import_all(package: str, path: str) -> None:
    """Import every module of a package but its migrations and tests, so that every event
    class it defines exists, wherever it is declared (the catalogue must not depend on
    what happened to be imported before)."""
    importlib.import_module(package)
    for info in pkgutil.walk_packages([path], prefix=f"{package}."):
        if not any(part in ("migrations", "tests") for part in info.name.split(".")):
            importlib.import_module(info.name)


def _owner_of(module: str, packages: dict[str, str]) -> str | None:
    best = None
    for owner, package in packages.items():
        if (module == package or module.startswith(package + ".")) and (
                best is None or len(package) > len(packages[best])):
            best = owner
    return best


def _subclasses(cls: type[Event]) -> Iterable[type[Event]]:
    sub: type[Event]
    for sub in cls.__subclasses__():
        yield sub
        yield from _subclasses(sub)


def _subscriptions(plugins: dict[str, str]) -> list[tuple[str, Subscription]]:
    found: list[tuple[str, Subscription]] = []
    for owner, module_name in plugins.items():
        module = importlib.import_module(module_name)
        hook = getattr(module, "register_event_handlers", None)
        if callable(hook):
            found += [(owner, sub) for sub in hook() or ()]
    return found


def _alert_triggers(plugins: dict[str, str]) -> list[tuple[str, str, Any]]:
    """(owner, rule key, event class or name) for every alert rule listening to events."""
    found = []
    for owner, module_name in plugins.items():
        hook = getattr(importlib.import_module(module_name), "register_alert_rules", None)
        for rule in (hook() or ()) if callable(hook) else ():
            found += [(owner, rule.key, event) for event in rule.on_events]
    return found


def event_docs(scope: Scope = "repo") -> list[EventDoc]:
    """Every event class of the kernel and the addons in ``scope`` (see :data:`Scope`),
    kernel first then in addon dependency order, by name within an owner."""
    addons = _addons(scope)
    packages = {KERNEL: "openjxc.core", **{m.name: m.package for m in addons}}
    _import_all("openjxc.core", str(Path(__file__).parent))
    for manifest in addons:
        _import_all(manifest.package, str(manifest.path))
    plugins = {KERNEL: KERNEL_PLUGIN, **{m.name: m.package for m in addons}}
    # the order they run in: ``order`` first, then addon dependency order
    subscriptions = sorted(_subscriptions(plugins), key=lambda item: item[1].order)
    triggers = _alert_triggers(plugins)
    candidates: set[type[Event]] = {sub.event for _owner, sub in subscriptions}
    candidates |= set(_subclasses(Event))
    order = list(packages)
    docs: list[EventDoc] = []
    for cls in candidates:
        owner = _owner_of(cls.__module__, packages)
        if owner is None or (owner == KERNEL and not cls.__module__.startswith(
                KERNEL_PACKAGES)) or not getattr(cls, "name", ""):
            continue
        subscribers = [SubscriberDoc(o, sub.handler_id, PHASES.get(sub.phase, sub.phase))
                       for o, sub in subscriptions if sub.event is cls]
        subscribers += [SubscriberDoc(o, f"alert rule {key}",
                                      "in the transaction (the worker re-evaluates the rule)")
                        for o, key, event in triggers if event is cls or event == cls.name]
        docs.append(EventDoc(
            name=cls.name, qualname=f"{cls.__module__}.{cls.__qualname__}", owner=owner,
            added_in=cls.__dict__.get("added_in"), doc=_own_doc(cls),
            fields=event_fields(cls), subscribers=tuple(subscribers)))
    return sorted(docs, key=lambda d: (order.index(d.owner), d.name, d.qualname))


# -- markdown ----------------------------------------------------------------------------

_ROLE = re.compile(r":(?:class|func|mod|meth|attr|data|exc):`~?([^`]+)`")


def _markdown(doc: str) -> str:
    """A docstring as Markdown: Sphinx roles become code, ``::`` blocks become code."""
    text = _ROLE.sub(lambda m: f"``{m.group(1)}``", doc)
    return re.sub(r"::\n\n", ":\n\n", text)


def hooks_markdown() -> str:
    """``docs/hooks.md``."""
    hooks = hook_docs()
    out = ["# Hook reference", "",
           "<!-- Generated from openjxc/core/hookspecs.py by "
           "`openjxc docs hooks --output docs/hooks.md`; do not edit by hand. -->", "",
           _markdown(inspect.cleandoc(hookspecs.__doc__ or "")), "",
           "## Deprecations", ""]
    if hookspecs.DEPRECATED:
        out += ["| what | deprecated in | removed in | use instead |", "|---|---|---|---|"]
        out += [f"| `{key}` | {d.since} | {d.removed_in} | {d.replacement or '—'} |"
                for key, d in sorted(hookspecs.DEPRECATED.items())]
    else:
        out.append("Nothing is deprecated in this kernel.")
    out += ["", "## Hooks", "", "| hook | added in |", "|---|---|"]
    out += [f"| [`{h.name}`](#{h.name}) | {h.added_in or '?'} |" for h in hooks]
    for hook in hooks:
        out += ["", f"### {hook.name}", "", "```python", f"@hookimpl\ndef {hook.signature}: ...",
                "```", "", f"*Added in {hook.added_in or '?'}.*", "", _markdown(hook.doc)]
    return "\n".join(out).rstrip() + "\n"


def _cell(text: str) -> str:
    """Text for a Markdown table cell (a ``|`` in ``int | None`` would split it)."""
    return text.replace("|", "\\|")


def _anchor(name: str) -> str:
    return re.sub(r"[^a-z0-9_-]", "", name.lower().replace(" ", "-"))


def _deprecation_notes(event: EventDoc) -> list[str]:
    """Lines warning that the event or some of its fields are on their way out."""
    notes = []
    for key in (event.name, *(f"{event.name}:{f.name}" for f in event.fields)):
        entry = hookspecs.DEPRECATED.get(key)
        if entry is not None:
            instead = f"; use {entry.replacement} instead" if entry.replacement else ""
            what = "this event" if key == event.name else f"`{key.split(':', 1)[1]}`"
            notes += [f"**Deprecated:** {what} since {entry.since}, removed in "
                      f"{entry.removed_in}{instead}.", ""]
    return notes


def events_markdown(events: list[EventDoc] | None = None) -> str:
    """``docs/events.md``."""
    events = event_docs() if events is None else events
    out = ["# Event catalogue", "",
           "<!-- Generated by `openjxc docs events --output docs/events.md` from the "
           "kernel, the built-in addons and examples/; do not edit by hand. -->", "",
           "Every domain event the kernel, the built-in addons and the example partner "
           "addons (`examples/`) publish, with its payload and who listens to it. "
           "`openjxc docs events --installed` writes the same catalogue for every addon "
           "installed in your environment, yours included.",
           "", "**Events are always published inside the business transaction** that "
           "caused them (`publish(session, event)` within the unit of work). A subscriber "
           "runs either:", "",
           "* **in the transaction** (`phase=\"transaction\"`): at once, in the same "
           "transaction, ordered by `order` then by addon dependency order; an exception "
           "rolls the whole business operation back;",
           "* **after commit via the outbox** (`phase=\"after_commit\"`): one outbox row per "
           "handler is written in the same transaction and `openjxc worker` delivers it "
           "after commit, at least once (handlers must be idempotent).", "",
           "Subscribe with the `register_event_handlers` hook (see [hooks.md](hooks.md)). "
           "Payload fields only grow, with defaults: an outbox row written by an older "
           "version must stay readable (see the stability promise in hooks.md).", ""]
    owners = list(dict.fromkeys(e.owner for e in events))
    for owner in owners:
        mine = [e for e in events if e.owner == owner]
        out.append(f"* **{owner}**: " + ", ".join(
            f"[`{e.name}`](#{_anchor(e.name)})" for e in mine))
    for owner in owners:
        out += ["", f"## {owner}"]
        for event in (e for e in events if e.owner == owner):
            out += ["", f"### {event.name}", "",
                    f"`{event.qualname}` · owner `{event.owner}` · added in "
                    f"{event.added_in or '?'}", "",
                    *_deprecation_notes(event),
                    _markdown(event.doc) or "*(no description)*", "",
                    "| field | type | default | added in |", "|---|---|---|---|"]
            out += [f"| `{f.name}` | `{_cell(f.type)}` | "
                    f"{f'`{_cell(f.default)}`' if f.default else '—'} "
                    f"| {f.added_in or event.added_in or '?'} |" for f in event.fields]
            out.append("")
            if event.subscribers:
                out.append("Subscribers:")
                out += [f"* `{s.owner}`: `{s.handler}` — {s.phase}"
                        for s in event.subscribers]
            else:
                out.append("No installed addon subscribes to it.")
    return "\n".join(out).rstrip() + "\n"
