"""The partner kit's commands: ``openjxc addon new NAME`` (scaffold a pip-installable
addon) and ``openjxc docs`` (generate the hook reference and the event catalogue)."""

from __future__ import annotations

import click


def add_commands(cli: click.Group) -> None:
    """Called by :mod:`openjxc.__main__` with the root group."""
