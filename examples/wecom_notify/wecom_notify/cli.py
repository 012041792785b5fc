"""``openjxc wecom add|list|test``: the WeCom targets of a database.

The robot's key is written to the target's secret and never printed; ``list`` says only
whether a target has its own robot or uses the deployment's (``OPENJXC_WECOM_WEBHOOK_URL``).
"""

from __future__ import annotations

import click

from openjxc.core.alerts import Alerting, configure_channel, list_channel_configs
from openjxc.core.cli import database_option, open_environment

from .channel import ENV_WEBHOOK_URL, WeComChannel


@click.group()
def wecom() -> None:
    """Send alerts to 企业微信 (WeCom) group robots."""


@wecom.command(name="add")
@click.argument("label")
@click.option("--key", default=None, metavar="KEY_OR_URL",
              help=f"The robot's key or webhook URL; leave out to use {ENV_WEBHOOK_URL}.")
@click.option("--rule", "rules", multiple=True, metavar="PATTERN",
              help="Only alerts of these rule keys (repeatable, e.g. 'stock.*'); default all.")
@click.option("--locale", default=None, help="zh_CN or en; default the deployment's.")
@database_option
def add(label: str, key: str | None, rules: tuple[str, ...], locale: str | None,
        database: str | None) -> None:
    """Send alerts to a group, LABEL naming it (e.g. 仓库群)."""
    env = open_environment(database)
    with env.unit_of_work() as session:
        row = configure_channel(session, env, channel="wecom", target=label, secret=key,
                                rules=list(rules) or None, locale=locale)
        session.flush()
        config_id = row.id
    robot = "its own robot" if key else f"the robot in {ENV_WEBHOOK_URL}"
    click.echo(f"WeCom target {config_id} ({label}) added, using {robot}")


@wecom.command(name="list")
@database_option
def list_targets(database: str | None) -> None:
    """The WeCom targets (keys are never shown)."""
    env = open_environment(database)
    with env.unit_of_work(readonly=True) as session:
        rows = list_channel_configs(session, channel="wecom")
        for row in rows:
            robot = "own robot" if row.secret else ENV_WEBHOOK_URL
            rules = ", ".join(row.rules) if row.rules else "all rules"
            state = "active" if row.active else "inactive"
            click.echo(f"{row.id:>4}  {row.target}  [{rules}]  {row.locale or '-'}  "
                       f"{robot}  {state}")
        if not rows:
            click.echo("no WeCom targets; add one with 'openjxc wecom add'")


@wecom.command(name="test")
@click.argument("config_id", type=int)
@database_option
def test(config_id: int, database: str | None) -> None:
    """Post a test message to target CONFIG_ID's group."""
    env = open_environment(database)
    alerting = Alerting.for_environment(env)
    config = alerting.channel_config(config_id)
    channel = alerting.channels.get("wecom")
    if config is None or config.channel != "wecom" or not isinstance(channel, WeComChannel):
        raise click.ClickException(f"no WeCom target {config_id} in this database")
    with alerting.translator.activate(config.locale):
        channel.send_test(config)
    click.echo(f"test message posted to {config.target}")
