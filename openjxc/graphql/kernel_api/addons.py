"""``addons``: what this database runs, and what else is available to install.

Read from the manifests (the kernel never imports an addon to describe it), like
``openjxc addons``: an about screen shows the installed ones, an upgrade screen the ones
``openjxc install`` could add.
"""

from __future__ import annotations

import logging
from enum import Enum
from typing import Any

import strawberry
from strawberry.types import Info

from openjxc.core.addons import AddonManifest, discover
from openjxc.core.errors import AddonResolutionError
from openjxc.graphql.fields import field

log = logging.getLogger(__name__)


@strawberry.enum(description="The edition an addon belongs to.")
class AddonTier(Enum):
    BASIC = "basic"
    PRO = "pro"
    ENTERPRISE = "enterprise"


@strawberry.type(description="A business capability packaged as an addon.")
class Addon:
    name: str
    version: str
    summary: str
    tier: AddonTier
    depends: list[str] = strawberry.field(description="Addons it needs installed first.")
    installed: bool = strawberry.field(description="Whether this database runs it (false: "
                                                   "available here, not installed).")

    @classmethod
    def from_manifest(cls, manifest: AddonManifest, *, installed: bool) -> Addon:
        return cls(name=manifest.name, version=manifest.version, summary=manifest.summary,
                   tier=AddonTier(manifest.tier), depends=list(manifest.depends),
                   installed=installed)


def addons(info: Info[Any, Any], installed: bool | None = None) -> list[Addon]:
    env = info.context.env
    found = [Addon.from_manifest(m, installed=True) for m in env.addons]
    if installed is not True:
        try:
            available = discover()
        except AddonResolutionError:
            # A broken third-party package must not hide what the database runs.
            log.exception("listing the available addons failed")
            available = {}
        found += [Addon.from_manifest(m, installed=False)
                  for name, m in sorted(available.items()) if name not in env.addon_names]
    if installed is not None:
        found = [a for a in found if a.installed is installed]
    return found


addons_field = field(addons, permission="core.addon.read", name="addons",
                     description="The installed addons in dependency order, then the ones "
                                 "available to install, by name.  `installed` narrows the "
                                 "list to one kind.")
