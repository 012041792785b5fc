"""Addon manifests, discovery and resolution: each failure has a clear message."""

from __future__ import annotations

from importlib.metadata import EntryPoint
from pathlib import Path

import pytest

from openjxc.core import addons
from openjxc.core.addons import AddonManifest, discover, read_manifest, resolve, resolve_edition
from openjxc.core.errors import AddonResolutionError


def manifest(name: str, *depends: str, kernel: str = ">=0.1,<0.2",
             auto_install: bool = False) -> AddonManifest:
    return AddonManifest(name=name, version="1.0", kernel=kernel, depends=depends,
                         tier="basic", summary=name, package=name, path=Path("."),
                         table_prefix=name, auto_install=auto_install)


def available(*manifests: AddonManifest) -> dict[str, AddonManifest]:
    return {m.name: m for m in manifests}


def test_dependencies_come_first_in_a_stable_order() -> None:
    pool = available(manifest("a"), manifest("b", "a"), manifest("c", "b", "a"))
    assert [m.name for m in resolve(["c"], pool)] == ["a", "b", "c"]
    assert [m.name for m in resolve(["b", "c", "a"], pool)] == ["a", "b", "c"]


def test_missing_dependency_shows_the_chain() -> None:
    pool = available(manifest("a", "ghost"), manifest("b", "a"))
    with pytest.raises(AddonResolutionError, match=r"'ghost' \(required by b -> a -> ghost\)"):
        resolve(["b"], pool)


def test_unknown_addon_lists_what_is_available() -> None:
    with pytest.raises(AddonResolutionError, match="unknown addon 'nope'; available: a"):
        resolve(["nope"], available(manifest("a")))


def test_cycle_is_named() -> None:
    pool = available(manifest("a", "c"), manifest("b", "a"), manifest("c", "b"))
    with pytest.raises(AddonResolutionError, match="cycle: a -> c -> b -> a"):
        resolve(["a"], pool)


def test_incompatible_kernel_version() -> None:
    pool = available(manifest("old", kernel=">=5.0"))
    with pytest.raises(AddonResolutionError, match="requires kernel >=5.0, this kernel is"):
        resolve(["old"], pool)


def test_a_bridge_comes_with_all_the_addons_it_bridges_and_only_then() -> None:
    pool = available(manifest("base"), manifest("left", "base"), manifest("right", "base"),
                     manifest("bridge", "left", "right", auto_install=True),
                     manifest("ghost_bridge", "left", "nowhere", auto_install=True))
    assert [m.name for m in resolve(["left"], pool)] == ["base", "left"]
    assert [m.name for m in resolve(["right", "left"], pool)] == [
        "base", "right", "left", "bridge"]


def test_bridges_of_bridges_join_and_incompatible_bridges_stay_out() -> None:
    pool = available(manifest("a"), manifest("b"),
                     manifest("ab", "a", "b", auto_install=True),
                     manifest("ab_plus", "ab", auto_install=True),
                     manifest("old_ab", "a", "b", kernel=">=5.0", auto_install=True))
    assert [m.name for m in resolve(["a", "b"], pool)] == ["a", "b", "ab", "ab_plus"]


def test_auto_install_must_be_a_boolean_with_dependencies(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.syspath_prepend(str(tmp_path))
    for package, extra in (("bridge_text", 'auto_install = "yes"\ndepends = ["a"]'),
                           ("bridge_alone", "auto_install = true")):
        (tmp_path / package).mkdir()
        (tmp_path / package / "__init__.py").write_text("")
        (tmp_path / package / "manifest.toml").write_text(
            f'name = "{package}"\nversion = "1.0"\nkernel = ">=0.1"\ntier = "pro"\n'
            f'summary = "x"\n{extra}\n')
    with pytest.raises(AddonResolutionError, match="auto_install must be true or false"):
        read_manifest("bridge_text")
    with pytest.raises(AddonResolutionError, match="auto_install needs depends"):
        read_manifest("bridge_alone")


def test_editions_are_named_addon_sets() -> None:
    assert [m.name for m in resolve_edition("basic")] == ["base_jxc"]
    assert {m.name for m in resolve_edition("pro")} == {
        "base_jxc", "serial_warranty", "service_orders", "service_warranty"}
    assert len(resolve_edition("enterprise")) == 6  # with the pro bridge
    with pytest.raises(AddonResolutionError, match="unknown edition 'gold'"):
        resolve_edition("gold")


def test_manifest_is_read_without_importing_the_addon(tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    package = tmp_path / "exploding_addon"
    package.mkdir()
    (package / "__init__.py").write_text("raise RuntimeError('imported!')\n")
    (package / "manifest.toml").write_text(
        'name = "exploding_addon"\nversion = "1.0"\nkernel = ">=0.1"\n'
        'depends = ["base_jxc"]\ntier = "basic"\nsummary = "x"\n'
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    found = read_manifest("exploding_addon")
    assert found.depends == ("base_jxc",)
    assert found.table_prefix == "exploding_addon"


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ('name = "x"\n', "missing keys"),
        ('name = "x"\nversion = "1"\nkernel = ">=0.1"\ntier = "gold"\nsummary = "s"\n',
         "tier must be one of"),
        ('name = "x"\nversion = "one"\nkernel = ">=0.1"\ntier = "basic"\nsummary = "s"\n',
         "Invalid version"),
        ("name = [", "invalid TOML"),
        ('name = "x"\nversion = "1"\nkernel = ">=0.1"\ntier = "basic"\nsummary = "s"\n'
         'depends = "base_jxc"\n', "depends must be a list"),
        ('name = "x"\nversion = "1"\nkernel = ">=0.1"\ntier = "basic"\nsummary = "s"\n'
         'table_prefix = "Bad-Prefix"\n', "table_prefix must be"),
    ],
)
def test_bad_manifests_are_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                   content: str, message: str) -> None:
    package = tmp_path / "bad_addon"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "manifest.toml").write_text(content)
    monkeypatch.syspath_prepend(str(tmp_path))
    with pytest.raises(AddonResolutionError, match=message):
        read_manifest("bad_addon")


def test_builtin_addons_are_found_through_entry_points() -> None:
    found = discover()
    assert {"base_jxc", "serial_warranty", "service_orders", "depreciation",
            "accounting_bridge"} <= set(found)
    assert found["base_jxc"].package == "openjxc.addons.base_jxc"


def test_duplicate_addon_names_are_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    points = [
        EntryPoint("base_jxc", "openjxc.addons.base_jxc", addons.ENTRY_POINT_GROUP),
        EntryPoint("base_jxc", "openjxc.addons.serial_warranty", addons.ENTRY_POINT_GROUP),
    ]
    monkeypatch.setattr(addons, "entry_points", lambda group: points)
    with pytest.raises(AddonResolutionError, match="duplicate addon name 'base_jxc'"):
        discover()


def test_entry_point_name_must_match_manifest(monkeypatch: pytest.MonkeyPatch) -> None:
    points = [EntryPoint("impostor", "openjxc.addons.base_jxc", addons.ENTRY_POINT_GROUP)]
    monkeypatch.setattr(addons, "entry_points", lambda group: points)
    with pytest.raises(AddonResolutionError, match="manifest says 'base_jxc'"):
        discover()
