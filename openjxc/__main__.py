"""``openjxc`` / ``python -m openjxc``: the kernel's commands plus the HTTP ones."""

from __future__ import annotations

import sys

from openjxc.core.cli import cli


def main(argv: list[str] | None = None) -> None:
    from openjxc.core.cli_kit import add_commands as add_kit_commands
    from openjxc.graphql.cli import add_commands

    add_commands(cli)
    add_kit_commands(cli)
    cli.main(args=argv if argv is not None else sys.argv[1:], prog_name="openjxc")


if __name__ == "__main__":
    main()
