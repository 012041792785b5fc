"""Permissions and role templates as addons declare them, and password hashing.

No database here: what an environment declares is decided when it boots.
"""

from __future__ import annotations

import sys
import textwrap
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from argon2 import PasswordHasher, Type

from openjxc.core import kernel
from openjxc.core.addons import AddonManifest, read_manifest
from openjxc.core.env import Environment
from openjxc.core.errors import BootError
from openjxc.core.security import (
    ADMIN_ROLE,
    Permission,
    PermissionRegistry,
    RoleTemplate,
    hash_password,
    needs_rehash,
    passwords,
    verify_password,
)

FAKE_ADDONS = Path(__file__).parent / "fake_addons"
#: The kernel declares at least these (others may add theirs, e.g. alert settings).
REQUIRED_KERNEL_PERMISSIONS = {
    "core.user.read", "core.user.manage", "core.role.manage", "core.apikey.manage",
    "core.alert.read", "core.alert.acknowledge", "core.addon.read",
}
KERNEL_PERMISSIONS = {p.name for p in kernel.KERNEL_PERMISSIONS}

MakeAddon = Callable[[str, str], AddonManifest]


@pytest.fixture
def make_addon(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[MakeAddon]:
    """Write a one-file addon package and return its manifest."""
    monkeypatch.syspath_prepend(str(tmp_path))
    made: list[str] = []

    def make(name: str, body: str) -> AddonManifest:
        package = tmp_path / name
        package.mkdir()
        (package / "manifest.toml").write_text(
            f'name = "{name}"\nversion = "1.0"\nkernel = ">=0.1"\ndepends = []\n'
            f'tier = "basic"\nsummary = "test addon"\ntable_prefix = "{name}"\n'
        )
        (package / "__init__.py").write_text(
            "from openjxc.core.hookspecs import hookimpl\n"
            "from openjxc.core.security import Permission, RoleTemplate\n"
            + textwrap.dedent(body)
        )
        made.append(name)
        return read_manifest(name)

    yield make
    for name in made:
        sys.modules.pop(name, None)


@pytest.fixture
def perm_addon(monkeypatch: pytest.MonkeyPatch) -> Iterator[AddonManifest]:
    """The checked-in test addon declaring ``widget.*`` permissions and a template."""
    monkeypatch.syspath_prepend(str(FAKE_ADDONS))
    yield read_manifest("security_perm_addon")
    sys.modules.pop("security_perm_addon", None)


def registry_of(*manifests: AddonManifest) -> PermissionRegistry:
    return PermissionRegistry.for_environment(Environment(list(manifests)))


# -- what the kernel declares -----------------------------------------------------------


def test_the_kernel_declares_its_own_permissions_under_core() -> None:
    registry = registry_of()
    assert registry.names == KERNEL_PERMISSIONS >= REQUIRED_KERNEL_PERMISSIONS
    assert {registry.owner(name) for name in registry.names} == {"core"}
    assert registry.get("core.user.manage") == Permission(
        "core.user.manage", "Create, change and deactivate users")


def test_the_registry_is_built_once_per_environment() -> None:
    env = Environment([])
    assert PermissionRegistry.for_environment(env) is PermissionRegistry.for_environment(env)
    assert PermissionRegistry.for_environment(Environment([])) is not (
        PermissionRegistry.for_environment(env))


def test_an_addon_adds_permissions_with_itself_as_owner(perm_addon: AddonManifest) -> None:
    registry = registry_of(perm_addon)
    assert registry.names == KERNEL_PERMISSIONS | {
        "widget.item.read", "widget.item.create", "widget.cost.read"}
    assert registry.owner("widget.cost.read") == "security_perm_addon"
    assert [p.name for p in registry.declared_by("security_perm_addon")] == [
        "widget.item.read", "widget.item.create", "widget.cost.read"]
    assert registry.roles["widget_clerk"].permissions == ("widget.item.read",
                                                          "widget.item.create")
    assert registry.role_owner("widget_clerk") == "security_perm_addon"


def test_admin_holds_every_permission_of_the_environment(perm_addon: AddonManifest) -> None:
    assert registry_of().role_permissions(ADMIN_ROLE) == KERNEL_PERMISSIONS
    with_addon = registry_of(perm_addon)
    assert with_addon.role_permissions(ADMIN_ROLE) == with_addon.names
    assert "widget.cost.read" in with_addon.role_permissions(ADMIN_ROLE)
    assert ADMIN_ROLE not in with_addon.roles


# -- names ------------------------------------------------------------------------------


@pytest.mark.parametrize("name", [
    "stock.move.create", "sales.order.approve", "stock.cost.read", "core.user.read",
    "service_orders.order.assign", "asset2.item.read",
])
def test_well_formed_permission_names(name: str) -> None:
    assert Permission(name).name == name


@pytest.mark.parametrize("name", [
    "", "stock", "stock.move", "stock.move.create.now", "Stock.move.create",
    "stock.Move.create", "stock..create", ".move.create", "stock.move.", "stock-move.x.y",
    "stock.move.create ", "2stock.move.create", "stock._move.create", "库存.move.create",
    "stock.move." + "x" * 130,
])
def test_malformed_permission_names_fail_at_boot(name: str) -> None:
    with pytest.raises(BootError, match="invalid permission name"):
        Permission(name)


def test_a_malformed_permission_in_an_addon_fails_the_boot(make_addon: MakeAddon) -> None:
    sloppy = make_addon("sloppy_perms", """
        @hookimpl
        def register_permissions():
            return [Permission("Stock.Move")]
    """)
    with pytest.raises(BootError, match="invalid permission name 'Stock.Move'"):
        registry_of(sloppy)


def test_anything_but_permissions_from_the_hook_fails_the_boot(make_addon: MakeAddon) -> None:
    stringly = make_addon("stringly", """
        @hookimpl
        def register_permissions():
            return ["stock.move.create"]
    """)
    with pytest.raises(BootError, match="stringly: register_permissions returned"):
        registry_of(stringly)


# -- duplicates and ownership -----------------------------------------------------------


def test_the_same_permission_from_two_addons_fails_the_boot(
        make_addon: MakeAddon, perm_addon: AddonManifest) -> None:
    copycat = make_addon("copycat", """
        @hookimpl
        def register_permissions():
            return [Permission("widget.item.read", "See widgets (again)")]
    """)
    with pytest.raises(BootError, match=r"'widget.item.read' declared twice "
                                        r"\(security_perm_addon and copycat\)"):
        registry_of(perm_addon, copycat)


def test_the_same_permission_twice_from_one_addon_fails_the_boot(
        make_addon: MakeAddon) -> None:
    stutter = make_addon("stutter", """
        @hookimpl
        def register_permissions():
            return [Permission("gear.item.read"), Permission("gear.item.read")]
    """)
    with pytest.raises(BootError, match=r"declared twice \(stutter and stutter\)"):
        registry_of(stutter)


def test_an_addon_cannot_declare_a_kernel_permission(make_addon: MakeAddon) -> None:
    squatter = make_addon("squatter", """
        @hookimpl
        def register_permissions():
            return [Permission("core.backup.run")]
    """)
    with pytest.raises(BootError, match="squatter: permission 'core.backup.run' is in the "
                                        "kernel's area"):
        registry_of(squatter)


# -- role templates ---------------------------------------------------------------------


def test_a_role_template_naming_an_unknown_permission_fails_the_boot(
        make_addon: MakeAddon) -> None:
    dreamer = make_addon("dreamer", """
        @hookimpl
        def register_permissions():
            return [Permission("dream.item.read")]

        @hookimpl
        def register_roles():
            return [RoleTemplate("dreamer", ("dream.item.read", "dream.item.fly"))]
    """)
    with pytest.raises(BootError, match="role template 'dreamer' names unknown permissions: "
                                        "dream.item.fly"):
        registry_of(dreamer)


def test_a_role_template_may_use_permissions_of_other_owners(make_addon: MakeAddon) -> None:
    auditor = make_addon("auditor", """
        @hookimpl
        def register_roles():
            return [RoleTemplate("auditor", ["core.user.read", "core.addon.read"])]
    """)
    assert registry_of(auditor).role_permissions("auditor") == {
        "core.user.read", "core.addon.read"}


def test_the_same_role_template_from_two_addons_fails_the_boot(
        make_addon: MakeAddon, perm_addon: AddonManifest) -> None:
    rival = make_addon("rival", """
        @hookimpl
        def register_roles():
            return [RoleTemplate("widget_clerk", ("core.user.read",))]
    """)
    with pytest.raises(BootError, match=r"role template 'widget_clerk' declared twice "
                                        r"\(security_perm_addon and rival\)"):
        registry_of(perm_addon, rival)


@pytest.mark.parametrize("name", ["admin", "Clerk", "x", "clerk-2", "仓管"])
def test_reserved_and_malformed_role_template_names_fail(name: str) -> None:
    with pytest.raises(BootError, match="admin|invalid role name"):
        RoleTemplate(name, ("core.user.read",))


# -- passwords --------------------------------------------------------------------------


def test_passwords_are_hashed_with_argon2id_and_a_fresh_salt() -> None:
    first = hash_password("correct horse")
    assert first.startswith("$argon2id$v=19$m=65536,t=3,p=4$")
    assert hash_password("correct horse") != first
    assert verify_password("correct horse", first)
    assert not verify_password("correct horsf", first)
    assert not needs_rehash(first)


def test_a_malformed_hash_never_verifies_and_asks_for_a_rehash() -> None:
    assert not verify_password("anything", "not-a-hash")
    assert needs_rehash("not-a-hash")


def test_a_hash_with_other_parameters_asks_for_a_rehash(
        monkeypatch: pytest.MonkeyPatch) -> None:
    weak = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1, type=Type.ID)
    old = hash_password("correct horse", hasher=weak)
    assert needs_rehash(old)
    assert verify_password("correct horse", old)  # still verifiable meanwhile
    argon2i = PasswordHasher(time_cost=3, memory_cost=65536, parallelism=4, type=Type.I)
    assert needs_rehash(argon2i.hash("correct horse"))
    monkeypatch.setattr(passwords, "HASHER", weak)
    assert not needs_rehash(old)


def test_login_errors_are_worded_as_the_kernel_messages_the_catalogue_translates() -> None:
    from openjxc.core.i18n import KernelMessages
    from openjxc.core.security import AuthenticationFailed, TooManyAttempts

    assert AuthenticationFailed().message == KernelMessages.INVALID_CREDENTIALS.msgid
    throttled = TooManyAttempts(42)
    assert throttled.message == KernelMessages.TOO_MANY_LOGIN_ATTEMPTS.msgid
    assert throttled.retry_after_seconds == 42
