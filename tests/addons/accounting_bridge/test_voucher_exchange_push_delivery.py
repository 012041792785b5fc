"""The push delivers outside any transaction: other writers go on while a file travels; a
target being delivered to is left alone (a lease), a dead push's batch is taken over; a
backlog leaves in several files in one run; webhooks: no redirects followed, no body read,
no link-local address, no secret of the address in errors or logs."""

from __future__ import annotations

import socket
import threading
import time
from datetime import timedelta
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from accounting_support import World, build_world
from sqlalchemy import select
from test_voucher_exchange_push import AFTER, Receiver

from openjxc.addons.accounting_bridge import exports_batches, push, push_delivery
from openjxc.addons.accounting_bridge.exports_batches import ExportRequest, create_batch
from openjxc.addons.accounting_bridge.models import Voucher
from openjxc.addons.accounting_bridge.models_exchange import ExportBatch, ExportTarget
from openjxc.core import db

D = Decimal


@pytest.fixture
def world(database_url: str, tmp_path: Path) -> World:
    world = build_world(database_url)
    (tmp_path / "exports").mkdir()
    world.env.settings = world.env.settings.with_(export_dir=str(tmp_path / "exports"))
    world.run(lambda s: world.receive(s, D(10), D("8.50")))
    world.run(lambda s: world.invoice(s, "receivable", D(2), D("100")))
    return world


@pytest.fixture
def receiver() -> Any:
    found = Receiver()
    yield found
    found.close()


def target(world: World, name: str, kind: str, location: str, **kw: Any) -> int:
    with world.uow() as s:
        return push.set_target(s, world.env.settings, push.TargetInput(
            name=name, format=kw.pop("fmt", "u8_txt"), kind=kind, location=location,
            **kw)).id


def batches(world: World, target_id: int | None) -> list[ExportBatch]:
    with world.uow(readonly=True) as s:
        found = list(s.scalars(select(ExportBatch).where(
            ExportBatch.target_id.is_(None) if target_id is None
            else ExportBatch.target_id == target_id).order_by(ExportBatch.id)))
        s.expunge_all()
        return found


def voucher_count(world: World) -> int:
    with world.uow(readonly=True) as s:
        return len(list(s.scalars(select(Voucher.id))))


def test_another_writer_posts_while_a_file_is_being_delivered(
        world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    # A short busy timeout: a writer blocked by a transaction the push kept open would
    # fail with "database is locked" instead of waiting (on SQLite one writer at a time).
    monkeypatch.setattr(db, "SQLITE_BUSY_TIMEOUT_MS", 200)
    t3 = target(world, "t3", push.FOLDER, "t3")
    posted: list[object] = []
    write = push.write_file

    def slow_write(folder: Path, filename: str, content: bytes) -> Path:
        if posted:  # one post, during the first delivery
            return write(folder, filename, content)

        def post() -> None:
            try:
                world.run(lambda s: world.receive(s, D(1), D("8.50")))
                posted.append("posted")
            except Exception as exc:
                posted.append(exc)

        writer = threading.Thread(target=post)
        writer.start()
        writer.join(timeout=5)
        time.sleep(0.2)  # the file is still travelling
        return write(folder, filename, content)

    monkeypatch.setattr(push, "write_file", slow_write)
    before = voucher_count(world)
    summary = push.push_due(world.env, AFTER)
    assert posted == ["posted"]
    assert voucher_count(world) == before + 1
    first, second = batches(world, t3)
    assert summary == f"t3: ok (batches {first.id}, {second.id}; {before + 1} vouchers)"
    # The first file was taken before the post; the voucher posted meanwhile followed.
    assert (first.vouchers, second.vouchers) == (before, 1)
    assert first.delivered_at == second.delivered_at == AFTER


def test_a_target_being_pushed_is_left_alone_until_its_lease_ends(
        world: World, tmp_path: Path) -> None:
    t3 = target(world, "t3", push.FOLDER, "t3")
    with world.uow() as s:  # a push that took a batch and then died
        made = create_batch(s, ExportRequest("u8_txt", mode="new"), target_id=t3)
        owed_id, owed = made.id, made.content
        row = s.get_one(ExportTarget, t3)
        row.last_status, row.last_run_at = push.PUSHING, AFTER
    [busy] = push.push_now(world.env, AFTER + timedelta(minutes=5))
    assert busy.status == push.BUSY
    assert not (tmp_path / "exports" / "t3").exists()
    assert push.push_due(world.env, AFTER + timedelta(minutes=5)) == (
        "t3: busy (another push is delivering)")
    later = AFTER + push.PUSH_LEASE + timedelta(seconds=1)
    assert push.push_due(world.env, later) == f"t3: ok (batch {owed_id}, 2 vouchers)"
    [file] = (tmp_path / "exports" / "t3").iterdir()
    assert file.read_bytes() == owed and file.name.endswith(f"-{owed_id:06d}.txt")


def test_a_backlog_leaves_in_several_files_in_one_run(
        world: World, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(exports_batches, "MAX_NEW_VOUCHERS", 1)
    t3 = target(world, "t3", push.FOLDER, "t3")
    result = push.push_due(world.env, AFTER)
    made = batches(world, t3)
    assert result == f"t3: ok (batches {made[0].id}, {made[1].id}; 2 vouchers)"
    assert [b.vouchers for b in made] == [1, 1]
    assert len(list((tmp_path / "exports" / "t3").iterdir())) == 2
    # By hand too: one voucher a file, then the next.
    with world.uow() as s:
        assert create_batch(s, ExportRequest("u8_txt", mode="new")).vouchers == 1
    with world.uow() as s:
        assert create_batch(s, ExportRequest("u8_txt", mode="new")).vouchers == 1


def test_manual_exports_are_delivered_when_made(world: World) -> None:
    with world.uow() as s:
        create_batch(s, ExportRequest("u8_txt", mode="new"))
        create_batch(s, ExportRequest("kis_xlsx", period=AFTER.date().replace(day=1)))
    assert all(b.delivered_at is not None for b in batches(world, None))


def test_a_target_changing_format_is_not_sent_its_vouchers_again(world: World) -> None:
    t3 = target(world, "t3", push.FOLDER, "t3")
    assert push.push_due(world.env, AFTER).startswith("t3: ok")
    target(world, "t3", push.FOLDER, "t3", fmt="generic_json")
    assert push.push_now(world.env, AFTER)[0].status == push.NOTHING
    assert len(batches(world, t3)) == 1


class Redirector:
    """Answers every POST with a redirect (or a never-ending body)."""

    def __init__(self, location: str, *, endless: bool = False) -> None:
        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                self.rfile.read(int(self.headers["content-length"]))
                self.send_response(200 if endless else 307)
                self.send_header("location", location)
                self.send_header("content-length", str(10**9))
                self.end_headers()
                if endless:
                    try:
                        for _ in range(50):
                            self.wfile.write(b"x" * 10)
                            self.wfile.flush()
                            time.sleep(0.1)
                    except OSError:
                        pass

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/in"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def test_a_redirect_is_not_followed(world: World, receiver: Receiver) -> None:
    elsewhere = Redirector(receiver.url)
    try:
        hook = target(world, "hook", push.WEBHOOK, elsewhere.url)
        assert push.push_due(world.env, AFTER) == "hook: failed (the webhook answered 307)"
    finally:
        elsewhere.close()
    assert receiver.requests == []
    assert [b.delivered_at for b in batches(world, hook)] == [None]


def test_the_answers_body_is_not_read(world: World) -> None:
    endless = Redirector("", endless=True)
    try:
        target(world, "hook", push.WEBHOOK, endless.url)
        started = time.monotonic()
        assert push.push_due(world.env, AFTER).startswith("hook: ok")
        assert time.monotonic() - started < 3
    finally:
        endless.close()


@pytest.mark.parametrize("url", [
    "https://169.254.169.254/latest/meta-data", "https://[fe80::1]/in",
    "https://0.0.0.0/in", "https://224.0.0.1/in", "https://[::ffff:169.254.169.254]/in",
    "https://erp.example.com:port/in",
])
def test_webhooks_to_forbidden_addresses_are_refused(world: World, url: str) -> None:
    assert world.refusal(lambda s: push.set_target(s, world.env.settings, push.TargetInput(
        "w", "u8_txt", push.WEBHOOK, url))) == [("INVALID", ("location",))]


def test_a_host_resolving_to_a_forbidden_address_is_refused_at_push(
        world: World, receiver: Receiver, monkeypatch: pytest.MonkeyPatch) -> None:
    target(world, "hook", push.WEBHOOK, "https://erp.example.com/in")

    def resolve(host: str, *args: Any, **kw: Any) -> list[Any]:
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("169.254.169.254", 443))]

    monkeypatch.setattr(push_delivery.socket, "getaddrinfo", resolve)
    assert push.push_due(world.env, AFTER) == (
        "hook: failed (the webhook's host 'erp.example.com' resolves to a forbidden "
        "address 169.254.169.254)")


def test_the_webhooks_secrets_stay_out_of_errors_and_logs(
        world: World, caplog: pytest.LogCaptureFixture) -> None:
    secret = "s3cr3t-token"
    target(world, "dead", push.WEBHOOK, f"http://user:{secret}@127.0.0.1:9/in?token={secret}")
    settings = world.env.settings
    world.env.settings = settings.with_(export_allow_http=True)
    target(world, "lan", push.WEBHOOK, f"http://user:{secret}@erp.example.com/in?k={secret}")
    world.env.settings = settings  # plain http to the LAN no longer allowed
    summary = push.push_due(world.env, AFTER)
    assert "dead: failed (the webhook could not be reached" in summary
    assert "lan: failed (refused webhook address http://erp.example.com/in?…)" in summary
    with world.uow(readonly=True) as s:
        errors = " ".join(t.last_error for t in s.scalars(select(ExportTarget)))
    assert secret not in summary and secret not in errors and secret not in caplog.text


def test_what_the_receiver_gets_when_the_record_fails_is_the_same_batch_again(
        world: World, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    t3 = target(world, "t3", push.FOLDER, "t3")

    def crash(*args: Any) -> None:
        raise RuntimeError("the worker died")

    monkeypatch.setattr(push, "_record_delivery", crash)
    assert push.push_due(world.env, AFTER) == f"target {t3}: failed (RuntimeError)"
    monkeypatch.undo()
    assert push.push_due(world.env, AFTER + timedelta(minutes=1)) == (
        "t3: busy (another push is delivering)")
    later = AFTER + push.PUSH_LEASE + timedelta(seconds=1)
    assert push.push_due(world.env, later).startswith("t3: ok")
    files = sorted((tmp_path / "exports" / "t3").iterdir())
    [made] = batches(world, t3)
    # At least once: the same file (same name, same bytes), never a second batch.
    assert len(files) == 1 and files[0].read_bytes() == made.content
    assert made.delivered_at == later


def test_an_unexpected_error_of_one_target_does_not_stop_the_others(
        world: World, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    broken = target(world, "a-broken", push.FOLDER, "a")
    target(world, "b-fine", push.FOLDER, "b")
    target(world, "c-taking-fails", push.FOLDER, "c")
    deliver, take = push._deliver, push._take

    def failing_deliver(settings: Any, taken: Any, parcel: Any) -> None:
        if taken.name == "a-broken":
            raise RuntimeError("boom")
        deliver(settings, taken, parcel)

    def failing_take(env: Any, target_id: int, *args: Any, **kw: Any) -> Any:
        found = take(env, target_id, *args, **kw)
        if getattr(found, "name", "") == "c-taking-fails":
            raise RuntimeError("the database went away")
        return found

    monkeypatch.setattr(push, "_deliver", failing_deliver)
    monkeypatch.setattr(push, "_take", failing_take)
    summary = push.push_due(world.env, AFTER).split("; ")
    assert summary[0] == "a-broken: failed (RuntimeError: boom)"
    assert summary[1].startswith("b-fine: ok")
    assert summary[2].startswith("target ") and summary[2].endswith(
        ": failed (RuntimeError)")
    assert [b.delivered_at for b in batches(world, broken)] == [None]  # owed


def test_a_run_takes_no_new_file_once_its_time_is_up(
        world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(exports_batches, "MAX_NEW_VOUCHERS", 1)
    monkeypatch.setattr(push, "RUN_BUDGET", timedelta(0))
    t3 = target(world, "t3", push.FOLDER, "t3")
    assert push.push_due(world.env, AFTER).startswith("t3: ok (batch ")
    assert [b.vouchers for b in batches(world, t3)] == [1]
    assert push.push_now(world.env, AFTER)[0].vouchers == 1  # the rest, next time


def test_a_webhooks_credentials_are_not_shown_and_kept_when_given_back(
        world: World) -> None:
    from openjxc.testing.graphql import GraphQLTester

    url = "https://push:pa55@erp.example.com/in?token=abc"
    target(world, "hook", push.WEBHOOK, url)
    api = GraphQLTester(world.env, locale="en")
    [shown] = api.ok("{ voucherExportTargets { location } }")["voucherExportTargets"]
    assert shown == {"location": "https://erp.example.com/in?…"}
    changed = api.ok("""mutation($l: String!) { voucherExportTargetSet(input: {
        name: "hook", format: U8_TXT, kind: WEBHOOK, location: $l, hour: 5}) {
        target { location hour } errors { code } } }""", {"l": shown["location"]})
    assert changed["voucherExportTargetSet"]["errors"] == []
    with world.uow(readonly=True) as s:
        row = s.scalars(select(ExportTarget).where(ExportTarget.name == "hook")).one()
        assert (row.location, row.hour) == (url, 5)
    target(world, "hook", push.WEBHOOK, "https://other.example.com/in")
    with world.uow(readonly=True) as s:
        assert s.scalars(select(ExportTarget.location)).one() == (
            "https://other.example.com/in")


def test_the_worker_runs_the_push_job(world: World, database_url: str, tmp_path: Path,
                                      monkeypatch: pytest.MonkeyPatch) -> None:
    from click.testing import CliRunner

    from openjxc.core.cli import cli

    target(world, "t3", push.FOLDER, "t3", hour=0)
    monkeypatch.setenv("OPENJXC_EXPORT_DIR", str(tmp_path / "exports"))
    result = CliRunner().invoke(cli, ["worker", "--once", "--database", database_url])
    assert result.exit_code == 0, result.output
    assert "jobs: 1 ran, 0 failed" in result.output
    assert len(list((tmp_path / "exports" / "t3").iterdir())) == 1
    again = CliRunner().invoke(cli, ["worker", "--once", "--database", database_url])
    assert "jobs: 0 ran, 0 failed" in again.output  # next due in an hour
