"""Building an environment: hooks in dependency order, and loud failures at boot."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from openjxc.core.addons import read_manifest
from openjxc.core.env import Environment
from openjxc.core.errors import BootError


@pytest.fixture
def make_addon(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.syspath_prepend(str(tmp_path))
    made: list[str] = []

    def make(name: str, body: str, depends: tuple[str, ...] = (), prefix: str | None = None):
        package = tmp_path / name
        package.mkdir()
        (package / "manifest.toml").write_text(
            f'name = "{name}"\nversion = "1.0"\nkernel = ">=0.1"\n'
            f"depends = {list(depends)!r}\n".replace("'", '"')
            + f'tier = "basic"\nsummary = "test addon"\ntable_prefix = "{prefix or name}"\n'
        )
        (package / "__init__.py").write_text(
            "from openjxc.core.hookspecs import hookimpl\n" + textwrap.dedent(body))
        made.append(name)
        return read_manifest(name)

    yield make
    import sys

    for name in made:
        sys.modules.pop(name, None)


def test_hooks_are_called_in_dependency_order(make_addon) -> None:
    first = make_addon("order_a", """
        @hookimpl
        def register_cli_commands():
            return ["from a"]
    """)
    second = make_addon("order_b", """
        @hookimpl
        def register_cli_commands():
            return ["from b"]
    """, depends=("order_a",))
    third = make_addon("order_c", """
        @hookimpl
        def register_cli_commands():
            return ["from c"]
    """, depends=("order_b",))
    env = Environment([first, second, third])
    owners = [owner for owner, _ in env.contributions("register_cli_commands")]
    assert owners[-3:] == ["order_a", "order_b", "order_c"]
    # pluggy's own calls follow the same order
    flat = [r for r in env.pm.hook.register_cli_commands()
            if r and isinstance(r[0], str) and r[0].startswith("from")]
    assert flat == [["from a"], ["from b"], ["from c"]]


def test_an_unknown_hook_fails_at_boot(make_addon) -> None:
    typo = make_addon("typo_addon", """
        @hookimpl
        def register_modles():
            return []
    """)
    with pytest.raises(BootError, match="unknown hook in addon 'typo_addon'.*register_modles"):
        Environment([typo])


def test_tables_must_carry_the_addon_prefix(make_addon) -> None:
    sloppy = make_addon("sloppy", """
        from sqlalchemy import Integer
        from sqlalchemy.orm import Mapped, mapped_column
        from openjxc.core.models import Base

        class SloppyThing(Base):
            __tablename__ = "thing_without_prefix"
            id: Mapped[int] = mapped_column(Integer, primary_key=True)

        @hookimpl
        def register_models():
            return [SloppyThing]
    """, prefix="slp")
    with pytest.raises(BootError, match="must start with 'slp_'"):
        Environment([sloppy])


def test_a_table_contributed_twice_is_refused(make_addon) -> None:
    first = make_addon("dup_one", """
        from openjxc.core.events import OutboxMessage

        @hookimpl
        def register_models():
            return [OutboxMessage]
    """, prefix="core")
    with pytest.raises(BootError, match="'core_outbox' contributed twice"):
        Environment([first])


def test_hooks_may_take_a_subset_of_arguments(make_addon) -> None:
    addon = make_addon("subset_args", """
        SEEN = []

        @hookimpl
        def on_install(env):
            SEEN.append(env)
    """)
    env = Environment([addon])
    env.contributions("on_install", session=object(), env=env)
    import subset_args  # type: ignore[import-not-found]

    assert subset_args.SEEN == [env]
