"""Addon manifests, discovery through entry points, dependency resolution and editions.

An addon is a Python package with a ``manifest.toml`` beside its ``__init__.py``.  The kernel
reads the manifest *without importing the addon's code*, so that a broken or incompatible
addon is reported before any of its code runs.  Built-in and partner addons are found the
same way: through the entry-point group ``openjxc.addons`` (name = addon name, value = the
package's import path).

Example manifest::

    name = "explosion_proof"
    version = "1.0.0"
    kernel = ">=0.1,<0.2"
    depends = ["base_jxc"]
    tier = "basic"
    summary = "Explosion-proof grades and certificates on products"
    table_prefix = "exp"
"""

from __future__ import annotations

import importlib.util
import re
import tomllib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from importlib.metadata import entry_points
from pathlib import Path

from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.version import InvalidVersion, Version

from openjxc import KERNEL_VERSION
from openjxc.core.errors import AddonResolutionError

ENTRY_POINT_GROUP = "openjxc.addons"
TIERS = ("basic", "pro", "enterprise")

#: Editions are named addon sets (SPEC.md).  A custom set is any list of addon names.
EDITIONS: Mapping[str, tuple[str, ...]] = {
    "basic": ("base_jxc",),
    "pro": ("base_jxc", "serial_warranty", "service_orders"),
    "enterprise": (
        "base_jxc",
        "serial_warranty",
        "service_orders",
        "depreciation",
        "accounting_bridge",
    ),
}

_REQUIRED_KEYS = ("name", "version", "kernel", "tier", "summary")
#: What a manifest's ``table_prefix`` may be (also checked by ``openjxc addon new``).
TABLE_PREFIX = re.compile(r"^[a-z][a-z0-9_]{0,30}$")


@dataclass(frozen=True)
class AddonManifest:
    """What the kernel knows about an addon before importing it."""

    name: str
    version: str
    kernel: str
    depends: tuple[str, ...]
    tier: str
    summary: str
    package: str
    path: Path
    table_prefix: str
    extra: Mapping[str, object] = field(default_factory=dict)
    #: A bridge between its dependencies: added to every addon set that holds all of
    #: them (``auto_install = true`` in the manifest; see :func:`resolve`).
    auto_install: bool = False

    @property
    def migrations_path(self) -> Path:
        return self.path / "migrations" / "versions"

    @property
    def i18n_path(self) -> Path:
        return self.path / "i18n"

    @property
    def templates_path(self) -> Path:
        return self.path / "templates"

    def kernel_compatible(self, kernel_version: str = KERNEL_VERSION) -> bool:
        return Version(kernel_version) in SpecifierSet(self.kernel)


def read_manifest(package: str, *, expected_name: str | None = None) -> AddonManifest:
    """Read ``manifest.toml`` of ``package`` without executing the package itself."""
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise AddonResolutionError(f"addon package {package!r} cannot be found")
    path = Path(next(iter(spec.submodule_search_locations)))
    manifest_file = path / "manifest.toml"
    if not manifest_file.is_file():
        raise AddonResolutionError(f"addon package {package!r} has no manifest.toml")
    try:
        data = tomllib.loads(manifest_file.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise AddonResolutionError(f"{manifest_file}: invalid TOML: {exc}") from exc
    missing = [key for key in _REQUIRED_KEYS if key not in data]
    if missing:
        raise AddonResolutionError(f"{manifest_file}: missing keys {', '.join(missing)}")
    name = str(data["name"])
    if expected_name is not None and name != expected_name:
        raise AddonResolutionError(
            f"entry point {expected_name!r} points to an addon whose manifest says {name!r}"
        )
    if data["tier"] not in TIERS:
        raise AddonResolutionError(f"addon {name!r}: tier must be one of {', '.join(TIERS)}")
    try:
        Version(str(data["version"]))
        SpecifierSet(str(data["kernel"]))
    except (InvalidVersion, InvalidSpecifier) as exc:
        raise AddonResolutionError(f"addon {name!r}: {exc}") from exc
    depends = data.get("depends", [])
    if not isinstance(depends, list) or not all(isinstance(d, str) for d in depends):
        raise AddonResolutionError(f"addon {name!r}: depends must be a list of addon names, "
                                   f'e.g. depends = ["base_jxc"]')
    prefix = str(data.get("table_prefix", name))
    if not TABLE_PREFIX.match(prefix):
        raise AddonResolutionError(f"addon {name!r}: table_prefix must be lowercase letters, "
                                   f"digits and underscores, starting with a letter")
    auto_install = data.get("auto_install", False)
    if not isinstance(auto_install, bool):
        raise AddonResolutionError(f"addon {name!r}: auto_install must be true or false")
    if auto_install and not depends:
        raise AddonResolutionError(f"addon {name!r}: auto_install needs depends (the addons "
                                   f"it bridges)")
    known = {*_REQUIRED_KEYS, "depends", "table_prefix", "auto_install"}
    return AddonManifest(
        name=name,
        version=str(data["version"]),
        kernel=str(data["kernel"]),
        depends=tuple(depends),
        tier=str(data["tier"]),
        summary=str(data["summary"]),
        package=package,
        path=path,
        table_prefix=prefix,
        extra={k: v for k, v in data.items() if k not in known},
        auto_install=auto_install,
    )


def discover() -> dict[str, AddonManifest]:
    """Every addon installed in this Python environment, by name.

    Two distributions registering the same addon name is an error: the kernel cannot know
    which one is meant.
    """
    found: dict[str, AddonManifest] = {}
    sources: dict[str, str] = {}
    for ep in entry_points(group=ENTRY_POINT_GROUP):
        source = ep.dist.name if ep.dist is not None else ep.value
        if ep.name in found:
            raise AddonResolutionError(
                f"duplicate addon name {ep.name!r}: registered by {sources[ep.name]!r} "
                f"and by {source!r}"
            )
        found[ep.name] = read_manifest(ep.value, expected_name=ep.name)
        sources[ep.name] = source
    return found


def edition_addons(edition: str) -> tuple[str, ...]:
    try:
        return EDITIONS[edition]
    except KeyError:
        raise AddonResolutionError(
            f"unknown edition {edition!r}; choose one of {', '.join(EDITIONS)}"
        ) from None


def resolve(
    requested: Iterable[str],
    available: Mapping[str, AddonManifest],
    *,
    kernel_version: str = KERNEL_VERSION,
) -> list[AddonManifest]:
    """The requested addons and everything they depend on, dependencies first.

    Fails with a clear message on a missing addon or dependency (showing the chain that
    led to it), a dependency cycle, or an addon incompatible with this kernel.  The order
    is deterministic: a depth-first topological order over the requested names as given.

    Then every available bridge addon (``auto_install = true``) whose dependencies are all
    in the set joins it, by name, until none is left to add (a bridge may bridge bridges).
    So two addons that must not know each other (``serial_warranty`` and
    ``service_orders``) meet in a third that depends on both and comes with them.
    A bridge for another kernel is left out rather than failing the set.
    """
    ordered: list[AddonManifest] = []
    done: set[str] = set()

    def visit(name: str, chain: Sequence[str]) -> None:
        if name in done:
            return
        if name in chain:
            cycle = [*chain[chain.index(name) :], name]
            raise AddonResolutionError("dependency cycle: " + " -> ".join(cycle))
        manifest = available.get(name)
        if manifest is None:
            if chain:
                path = " -> ".join([*chain, name])
                raise AddonResolutionError(
                    f"missing dependency {name!r} (required by {path}); install the "
                    f"distribution that provides it"
                )
            raise AddonResolutionError(
                f"unknown addon {name!r}; available: {', '.join(sorted(available)) or 'none'}"
            )
        if not manifest.kernel_compatible(kernel_version):
            raise AddonResolutionError(
                f"addon {name!r} {manifest.version} requires kernel {manifest.kernel}, "
                f"this kernel is {kernel_version}"
            )
        for dep in manifest.depends:
            visit(dep, [*chain, name])
        done.add(name)
        ordered.append(manifest)

    for name in requested:
        visit(name, [])
    while bridges := sorted(
            name for name, manifest in available.items()
            if manifest.auto_install and name not in done
            and manifest.kernel_compatible(kernel_version)
            and all(dep in done for dep in manifest.depends)):
        for name in bridges:
            visit(name, [])
    return ordered


def resolve_edition(
    edition: str | None = None,
    extra: Iterable[str] = (),
    *,
    available: Mapping[str, AddonManifest] | None = None,
) -> list[AddonManifest]:
    """Resolve an edition plus extra addons (``--edition basic --addons explosion_proof``)."""
    names = [*(edition_addons(edition) if edition else ()), *extra]
    if not names:
        raise AddonResolutionError("choose an edition or at least one addon")
    return resolve(names, discover() if available is None else available)
