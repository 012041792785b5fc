"""The daily push: a folder or a webhook gets, once a day after its hour (company time),
the vouchers it has not had — reversals included, every target its own — written
atomically inside the export directory or POSTed with its checksum; a failure is
recorded and the batch delivered again — the same file — the next hour; two workers never
push twice."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from accounting_support import World, build_world
from click.testing import CliRunner
from sqlalchemy import func, select

from openjxc.addons.accounting_bridge import ledger, push
from openjxc.addons.accounting_bridge.exports_batches import batch_voucher_ids
from openjxc.addons.accounting_bridge.models import Voucher
from openjxc.addons.accounting_bridge.models_exchange import ExportBatch, ExportTarget
from openjxc.core.alerts.webhook import sign
from openjxc.core.env import Environment
from openjxc.core.jobs import JobScheduler

D = Decimal
# 2026-03-11 in Beijing: 01:30 is before a 02:00 target's hour, 02:10 after it.
BEFORE = datetime(2026, 3, 10, 17, 30, tzinfo=UTC)
AFTER = datetime(2026, 3, 10, 18, 10, tzinfo=UTC)
NEXT_DAY = AFTER + timedelta(days=1)


class Receiver:
    """A local webhook: records what it gets, answers the statuses it is told to."""

    def __init__(self) -> None:
        self.requests: list[tuple[dict[str, str], bytes]] = []
        self.statuses: list[int] = []
        self.delay = 0.0
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["content-length"]))
                threading.Event().wait(receiver.delay)
                receiver.requests.append(({k.lower(): v for k, v in self.headers.items()},
                                          body))
                self.send_response(receiver.statuses.pop(0) if receiver.statuses else 200)
                self.send_header("content-length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/vouchers"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    found = Receiver()
    yield found
    found.close()


@pytest.fixture
def world(database_url: str, tmp_path: Path) -> World:
    world = build_world(database_url)
    (tmp_path / "exports").mkdir()
    world.env.settings = world.env.settings.with_(export_dir=str(tmp_path / "exports"))
    world.run(lambda s: world.receive(s, D(10), D("8.50")))
    world.run(lambda s: world.invoice(s, "receivable", D(2), D("100")))
    return world


def target(world: World, name: str, kind: str, location: str, fmt: str = "u8_txt",
           **kw: Any) -> int:
    with world.uow() as s:
        return push.set_target(s, world.env.settings, push.TargetInput(
            name=name, format=fmt, kind=kind, location=location, **kw)).id


def status(world: World, name: str) -> tuple[str, str]:
    with world.uow(readonly=True) as s:
        row = s.scalars(select(ExportTarget).where(ExportTarget.name == name)).one()
        return row.last_status, row.last_error


def carried(world: World, target_id: int) -> list[list[int]]:
    with world.uow(readonly=True) as s:
        return [batch_voucher_ids(s, b) for b in s.scalars(
            select(ExportBatch.id).where(ExportBatch.target_id == target_id)
            .order_by(ExportBatch.id))]


def all_vouchers(world: World) -> list[int]:
    with world.uow(readonly=True) as s:
        return list(s.scalars(select(Voucher.id).order_by(Voucher.id)))


def test_a_folder_gets_its_new_vouchers_once_a_day_reversals_included(
        world: World, tmp_path: Path) -> None:
    t3 = target(world, "t3", push.FOLDER, "t3/inbox", hour=2)
    folder = tmp_path / "exports" / "t3" / "inbox"
    assert push.push_due(world.env, BEFORE) == "no target due"
    assert not folder.exists()

    assert push.push_due(world.env, AFTER).startswith("t3: ok (batch ")
    files = sorted(folder.iterdir())
    [(batch_id, content)] = _batches(world, t3)
    assert [f.name for f in files] == [f"vouchers-new-u8-{batch_id:06d}.txt"]
    assert files[0].read_bytes() == content
    assert carried(world, t3) == [all_vouchers(world)]
    assert status(world, "t3") == ("ok", "")
    assert [d for _i, _c, d in _owed(world, t3)] == [AFTER]  # delivered
    assert push.push_due(world.env, AFTER + timedelta(hours=3)) == "no target due"

    red = world.run(lambda s: ledger.reverse_voucher(s, all_vouchers(world)[1]))
    assert push.push_due(world.env, NEXT_DAY).startswith("t3: ok")
    assert carried(world, t3)[-1] == [red.id]
    assert len(list(folder.iterdir())) == 2
    assert push.push_due(world.env, NEXT_DAY + timedelta(days=1)) == "t3: nothing"
    assert status(world, "t3") == ("nothing", "")
    assert len(list(folder.iterdir())) == 2  # no empty file, no temporary left behind


def _batches(world: World, target_id: int) -> list[tuple[int, bytes]]:
    with world.uow(readonly=True) as s:
        return [(b.id, b.content) for b in s.scalars(
            select(ExportBatch).where(ExportBatch.target_id == target_id))]


def test_two_targets_of_one_format_each_get_everything(world: World) -> None:
    first = target(world, "first", push.FOLDER, "a", fmt="generic_json")
    second = target(world, "second", push.FOLDER, "b", fmt="generic_json", hour=3)
    assert push.push_due(world.env, AFTER) == "first: ok (batch 1, 2 vouchers)"
    assert push.push_due(world.env, AFTER + timedelta(hours=1)).startswith("second: ok")
    assert carried(world, first) == carried(world, second) == [all_vouchers(world)]


def test_a_webhook_gets_the_file_with_its_name_batch_and_checksum(
        world: World, receiver: Receiver) -> None:
    hook = target(world, "hook", push.WEBHOOK, receiver.url, fmt="generic_csv")
    assert push.push_due(world.env, AFTER).startswith("hook: ok")
    [(headers, body)] = receiver.requests
    [(batch_id, content)] = _batches(world, hook)
    assert body == content and body.startswith(b"\xef\xbb\xbf")
    assert headers["content-type"] == "text/csv; charset=utf-8"
    assert headers["x-openjxc-batch"] == str(batch_id)
    assert headers["x-openjxc-filename"] == f"vouchers-new-generic-{batch_id:06d}.csv"
    assert headers["x-openjxc-checksum"].startswith("sha256=")
    assert headers["webhook-signature"] == sign(
        world.env.settings.secret_key.encode(), headers["webhook-id"],
        int(headers["webhook-timestamp"]), body)


def test_a_failed_push_leaves_the_batch_owed_and_the_next_run_delivers_it_first(
        world: World, receiver: Receiver) -> None:
    hook = target(world, "hook", push.WEBHOOK, receiver.url)
    receiver.statuses = [500]
    assert push.push_due(world.env, AFTER) == "hook: failed (the webhook answered 500)"
    assert status(world, "hook") == ("failed", "the webhook answered 500")
    [(owed_id, owed, delivered)] = _owed(world, hook)
    assert delivered is None and carried(world, hook) == [all_vouchers(world)]
    world.run(lambda s: world.receive(s, D(1), D("8.50")))  # new since the failure
    summary = push.push_due(world.env, AFTER + timedelta(hours=1))
    assert summary.startswith(f"hook: ok (batches {owed_id}, ")
    # The same file again (same bytes, name and batch id), then one of the new voucher.
    (_headers1, again), (headers2, _new) = receiver.requests[1:]
    assert again == receiver.requests[0][1] == owed
    assert receiver.requests[1][0]["x-openjxc-batch"] == str(owed_id)
    assert headers2["x-openjxc-batch"] != str(owed_id)
    assert [d is not None for _i, _c, d in _owed(world, hook)] == [True, True]
    assert carried(world, hook) == [all_vouchers(world)[:2], all_vouchers(world)[2:]]
    assert status(world, "hook") == ("ok", "")


def _owed(world: World, target_id: int) -> list[tuple[int, bytes, datetime | None]]:
    with world.uow(readonly=True) as s:
        return [(b.id, b.content, b.delivered_at) for b in s.scalars(
            select(ExportBatch).where(ExportBatch.target_id == target_id)
            .order_by(ExportBatch.id))]


def test_an_unreachable_webhook_fails_without_stopping_the_other_targets(
        world: World, tmp_path: Path) -> None:
    target(world, "a-dead", push.WEBHOOK, "http://127.0.0.1:9/nobody")
    target(world, "b-folder", push.FOLDER, "ok")
    summary = push.push_due(world.env, AFTER)
    assert summary.startswith("a-dead: failed") and "b-folder: ok" in summary
    assert len(list((tmp_path / "exports" / "ok").iterdir())) == 1


def test_two_workers_push_once(world: World, receiver: Receiver, database_url: str) -> None:
    target(world, "hook", push.WEBHOOK, receiver.url)
    receiver.delay = 0.3
    envs = [Environment.for_addons(world.env.addon_names, database_url=database_url,
                                   settings=world.env.settings) for _ in range(2)]
    schedulers = [JobScheduler(env) for env in envs]
    start = threading.Barrier(2)
    threads = [threading.Thread(target=lambda s=s: (start.wait(), s.run_due(AFTER)))
               for s in schedulers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    for env in envs:
        env.database.dispose()
    assert len(receiver.requests) == 1
    # Even run by hand at the same moment, a pushed target is not due again today.
    assert push.push_due(world.env, AFTER) == "no target due"


def test_folders_stay_inside_the_export_directory(world: World, tmp_path: Path) -> None:
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    (tmp_path / "exports" / "link").symlink_to(outside)
    for location in ("../elsewhere", str(outside), "link", "link/deeper"):
        assert world.refusal(lambda s, where=location: push.set_target(
            s, world.env.settings, push.TargetInput("x", "u8_txt", push.FOLDER, where))) == [
            ("INVALID", ("location",))]
    # A symlink swapped in after set-up is caught at push time: nothing is written there.
    (tmp_path / "exports" / "later").mkdir()
    target(world, "later", push.FOLDER, "later")
    (tmp_path / "exports" / "later").rmdir()
    (tmp_path / "exports" / "later").symlink_to(outside)
    assert push.push_due(world.env, AFTER) == (
        "later: failed ('later' is outside the export directory)")
    assert list(outside.iterdir()) == []
    world.env.settings = world.env.settings.with_(export_dir="")
    assert world.refusal(lambda s: push.set_target(s, world.env.settings, push.TargetInput(
        "y", "u8_txt", push.FOLDER, "t3"))) == [("INVALID", ("location",))]


@pytest.mark.parametrize(("url", "allow_http", "accepted"), [
    ("https://erp.example.com/in", False, True),
    ("http://127.0.0.1:8080/in", False, True),
    ("http://localhost/in", False, True),
    ("http://erp.example.com/in", False, False),
    ("http://erp.example.com/in", True, True),
    ("ftp://erp.example.com/in", True, False),
    ("https:///no-host", False, False),
])
def test_webhook_addresses(world: World, url: str, allow_http: bool, accepted: bool) -> None:
    settings = world.env.settings.with_(export_allow_http=allow_http)

    def make(s: Any) -> Any:
        return push.set_target(s, settings, push.TargetInput("w", "u8_txt", push.WEBHOOK, url))

    if accepted:
        world.run(make)
    else:
        assert world.refusal(make) == [("INVALID", ("location",))]


def test_a_target_that_pushed_is_deactivated_not_deleted(world: World) -> None:
    target(world, "t3", push.FOLDER, "t3")
    push.push_due(world.env, AFTER)
    assert world.refusal(lambda s: push.delete_target(s, "t3")) == [
        ("EXPORT_TARGET_IN_USE", ("name",))]
    assert world.refusal(lambda s: push.delete_target(s, "nobody")) == [
        ("NOT_FOUND", ("name",))]
    target(world, "t3", push.FOLDER, "t3", active=False)
    world.run(lambda s: world.receive(s, D(1), D("8.50")))
    assert push.push_due(world.env, NEXT_DAY) == "no target due"


def test_the_command_pushes_now(world: World, database_url: str, tmp_path: Path,
                                monkeypatch: pytest.MonkeyPatch) -> None:
    from openjxc.core.cli import cli

    target(world, "t3", push.FOLDER, "t3", hour=23)
    monkeypatch.setenv("OPENJXC_EXPORT_DIR", str(tmp_path / "exports"))
    runner = CliRunner()
    result = runner.invoke(cli, ["vouchers", "push", "--target", "t3",
                                 "--database", database_url])
    assert result.exit_code == 0, result.output
    assert result.output.startswith("t3: ok (batch 1, 2 vouchers)")
    assert len(list((tmp_path / "exports" / "t3").iterdir())) == 1
    again = runner.invoke(cli, ["vouchers", "push", "--database", database_url])
    assert again.output == "t3: nothing\n"
    unknown = runner.invoke(cli, ["vouchers", "push", "--target", "nope",
                                  "--database", database_url])
    assert unknown.exit_code == 1 and "nope" in unknown.output
    with world.uow(readonly=True) as s:
        assert s.scalar(select(func.count()).select_from(ExportBatch)) == 1
