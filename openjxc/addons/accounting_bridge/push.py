"""The daily push: each target gets, once a day, a file of the vouchers it has not had.

A target (:class:`~.models_exchange.ExportTarget`, set up in :mod:`.push_targets`) names
a format and a destination — a folder on the server or a webhook (:mod:`.push_delivery`:
where it may point, how a file is delivered) — and the local hour (the company's time
zone, ``Settings.timezone``) after which the day's push runs.  The scheduled job
``accounting.voucher_push`` runs hourly; a target whose hour has passed today and that
has not succeeded today (``ok`` or ``nothing``) is pushed.  A target's history is its
own: it gets every voucher no batch *of this target* carried (red reversals included),
whatever the other targets or the manual exports had, and changing its format does not
send its vouchers again.

A push is three steps, so that no database transaction is open while a file travels (a
webhook may take its whole timeout; on SQLite an open write transaction would stop every
other writer of the company):

1. *take* — a short transaction locks the target's row, and takes what is owed: the
   oldest batch of this target made but not delivered (``delivered_at`` empty), or else
   a new ``new``-mode batch of its unsent vouchers (the vouchers of an owed batch count
   as sent, so they never go into a second file).  It marks the target ``pushing`` (a
   lease of :data:`PUSH_LEASE`: another worker, or ``openjxc vouchers push``, leaves a
   target alone while another push is delivering to it) and commits.  Nothing owed and
   nothing new → ``nothing``, no file.
2. *deliver* — outside any transaction: the folder write or the webhook POST of the
   batch's stored bytes.
3. *record* — a short transaction sets the batch's ``delivered_at`` and the target's
   ``ok``; or, on failure, records ``failed`` with the error: the batch stays owed and the
   next run delivers it again — the same file, byte for byte, same name and batch id —
   before it makes a new one.

After a delivery the push goes on taking (at most :data:`MAX_BATCHES_PER_RUN` files, and
no new file once :data:`RUN_BUDGET` has passed, so that a run ends well inside its lease),
so a re-delivered owed batch and the new vouchers since, or a backlog larger than one file
(:data:`~.exports_batches.MAX_NEW_VOUCHERS`), all leave in one run.

Delivery is *at least once*: a crash (or a failed commit) between the delivery and the
record leaves the batch owed, so the receiver gets the same file again — the same batch
id in its name and ``x-openjxc-batch`` header, by which it drops the duplicate.  A voucher
is never lost: it is in a batch from the first step on, and the batch stays owed until a
delivery is recorded.
"""

from __future__ import annotations

import functools
import logging
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from openjxc.core.config import Settings
from openjxc.core.db import retry_transient
from openjxc.core.env import Environment
from openjxc.core.errors import FieldError, ValidationFailed
from openjxc.core.i18n import _

from .exports_batches import NEW, ExportRequest, create_batch
from .models_exchange import ExportBatch, ExportTarget
from .push_delivery import (
    Parcel,
    PushError,
    folder_of,
    post_file,
    redacted,
    write_file,
)
from .push_targets import (
    FOLDER,
    KINDS,
    WEBHOOK,
    TargetInput,
    delete_target,
    set_target,
    shown_location,
)

log = logging.getLogger(__name__)

OK = "ok"
NOTHING = "nothing"
FAILED = "failed"
#: On the target while a push delivers to it (see :data:`PUSH_LEASE`).
PUSHING = "pushing"
#: Only in a :class:`PushResult`: another push was delivering to the target.
BUSY = "busy"
JOB_KEY = "accounting.voucher_push"
#: How long a ``pushing`` target is left to the push that marked it; after that (the
#: worker died) another push takes the owed batch over.
PUSH_LEASE = timedelta(minutes=15)
MAX_BATCHES_PER_RUN = 20
#: Wall-clock time after which a run takes no further file (the rest goes next time).
RUN_BUDGET = PUSH_LEASE / 3

__all__ = ["BUSY", "FAILED", "FOLDER", "KINDS", "NOTHING", "OK", "PUSHING", "WEBHOOK",
           "PushError", "PushResult", "TargetInput", "delete_target", "is_due", "push_due",
           "push_now", "push_target", "set_target", "shown_location"]


# -- pushing ---------------------------------------------------------------------------------

def local_now(settings: Settings, now: datetime) -> datetime:
    return now.astimezone(ZoneInfo(settings.timezone or "Asia/Shanghai"))


def is_due(target: ExportTarget, settings: Settings, now: datetime) -> bool:
    """Its hour has passed today (company time) and it has not succeeded today."""
    local = local_now(settings, now)
    if not target.active or local.hour < target.hour:
        return False
    done_today = (target.last_status in (OK, NOTHING) and target.last_run_at is not None
                  and local_now(settings, target.last_run_at).date() == local.date())
    return not done_today


@dataclass
class PushResult:
    target: str
    status: str
    batch_id: int | None = None
    vouchers: int = 0
    error: str = ""
    batches: list[int] = field(default_factory=list)

    def __str__(self) -> str:
        if self.status == OK and len(self.batches) > 1:
            return (f"{self.target}: ok (batches {', '.join(map(str, self.batches))}; "
                    f"{self.vouchers} vouchers)")
        if self.status == OK:
            return f"{self.target}: ok (batch {self.batch_id}, {self.vouchers} vouchers)"
        return f"{self.target}: {self.status}" + (f" ({self.error})" if self.error else "")


def push_due(env: Environment, now: datetime) -> str:
    """The scheduled job: push every due target; a summary of what happened."""
    with env.unit_of_work(readonly=True) as session:
        due = [t.id for t in session.scalars(select(ExportTarget).order_by(ExportTarget.name))
               if is_due(t, env.settings, now)]
    results = [_push_one(env, target_id, now) for target_id in due]
    return "; ".join(str(r) for r in results if r is not None) or "no target due"


def _push_one(env: Environment, target_id: int, now: datetime) -> PushResult | str | None:
    """One target of the job; whatever goes wrong with it, the next targets are pushed
    (the error is logged; a target left ``pushing`` is taken over after its lease)."""
    try:
        return push_target(env, target_id, now, only_if_due=True)
    except Exception as exc:
        log.exception("pushing vouchers to target %s failed", target_id)
        return f"target {target_id}: failed ({type(exc).__name__})"


def push_now(env: Environment, now: datetime, names: Iterable[str] = ()) -> list[PushResult]:
    """Push the named targets (default: every active one) now, whatever the hour."""
    wanted = [n.strip() for n in names]
    with env.unit_of_work(readonly=True) as session:
        stmt = select(ExportTarget).order_by(ExportTarget.name)
        stmt = (stmt.where(ExportTarget.name.in_(wanted)) if wanted
                else stmt.where(ExportTarget.active.is_(True)))
        found = {t.name: t.id for t in session.scalars(stmt)}
    missing = [n for n in wanted if n not in found]
    if missing:
        raise ValidationFailed(FieldError("NOT_FOUND", _("Unknown export target {name}"),
                                          field="name", name=missing[0][:64]))
    results = [push_target(env, target_id, now) for target_id in found.values()]
    return [r for r in results if r is not None]


@dataclass(frozen=True)
class _Taken:
    name: str
    kind: str
    location: str
    parcel: Parcel | None  # None: nothing owed, nothing new


def push_target(env: Environment, target_id: int, now: datetime, *,
                only_if_due: bool = False) -> PushResult | None:
    """Take, deliver and record the target's owed or new batches (see the module doc);
    None when the target is gone or (``only_if_due``) not due any more."""
    delivered: list[Parcel] = []
    name = ""
    started = time.monotonic()
    while len(delivered) < MAX_BATCHES_PER_RUN and (
            not delivered or time.monotonic() - started < RUN_BUDGET.total_seconds()):
        try:
            taken = retry_transient(lambda: _take(
                env, target_id, now, only_if_due=only_if_due and not delivered,
                claimed=bool(delivered)))
        except PushError as exc:
            return _record_failure(env, target_id, now, str(exc))
        if isinstance(taken, PushResult) or taken is None:
            return taken  # busy, gone or not due
        name = taken.name
        if taken.parcel is None:
            break
        try:
            _deliver(env.settings, taken, taken.parcel)
        except Exception as exc:
            error = str(exc) if isinstance(exc, PushError | OSError) else (
                f"{type(exc).__name__}: {exc}")
            if taken.kind == WEBHOOK:
                error = error.replace(taken.location, redacted(taken.location))
            return _record_failure(env, target_id, now, error or type(exc).__name__)
        retry_transient(functools.partial(_record_delivery, env, target_id, taken.parcel,
                                          now))
        delivered.append(taken.parcel)
    status = OK if delivered else NOTHING
    retry_transient(lambda: _record_status(env, target_id, now, status))
    return PushResult(name, status, delivered[-1].batch_id if delivered else None,
                      sum(p.vouchers for p in delivered),
                      batches=[p.batch_id for p in delivered])


def _take(env: Environment, target_id: int, now: datetime, *, only_if_due: bool,
          claimed: bool) -> _Taken | PushResult | None:
    """Step 1, one short transaction: the owed batch or a new one, the target marked."""
    with env.unit_of_work() as session:
        target = session.scalars(select(ExportTarget).where(ExportTarget.id == target_id)
                                 .with_for_update()
                                 .execution_options(populate_existing=True)).first()
        if target is None or (only_if_due and not is_due(target, env.settings, now)):
            return None  # deleted, or another worker pushed it meanwhile
        if not claimed and _leased(target, now):
            return PushResult(target.name, BUSY, error="another push is delivering")
        batch = session.scalars(
            select(ExportBatch).where(ExportBatch.target_id == target.id,
                                      ExportBatch.delivered_at.is_(None))
            .order_by(ExportBatch.id).limit(1)).first()
        if batch is None:
            batch = _new_batch(session, target, now)
        taken = _Taken(target.name, target.kind, target.location, None if batch is None
                       else Parcel(batch.id, batch.filename, batch.content_type,
                                   batch.content, batch.checksum, batch.vouchers))
        if batch is not None:
            target.last_status, target.last_run_at = PUSHING, now
        return taken


def _leased(target: ExportTarget, now: datetime) -> bool:
    return (target.last_status == PUSHING and target.last_run_at is not None
            and now - PUSH_LEASE < target.last_run_at <= now + PUSH_LEASE)


def _new_batch(session: Session, target: ExportTarget, now: datetime) -> ExportBatch | None:
    try:
        with session.begin_nested():
            batch = create_batch(session, ExportRequest(
                format=target.format, mode=NEW, encoding=target.encoding or None),
                target_id=target.id)
    except ValidationFailed as exc:
        if [e.code for e in exc.errors] == ["NOTHING_TO_EXPORT"]:
            return None
        raise PushError("; ".join(e.message for e in exc.errors)) from None
    batch.created_at = now
    return batch


def _deliver(settings: Settings, taken: _Taken, parcel: Parcel) -> None:
    """Step 2, outside any transaction."""
    if taken.kind == FOLDER:
        write_file(folder_of(settings, taken.location), parcel.filename, parcel.content)
    else:
        post_file(settings, taken.location, parcel)


def _record_delivery(env: Environment, target_id: int, parcel: Parcel,
                     now: datetime) -> None:
    """Step 3: the batch is delivered (the target's status follows when the run ends)."""
    with env.unit_of_work() as session:
        batch = session.get(ExportBatch, parcel.batch_id)
        if batch is not None and batch.delivered_at is None:
            batch.delivered_at = now
        target = session.get(ExportTarget, target_id)
        if target is not None:
            target.last_run_at = now  # renews the lease for the next batch of the run


def _record_status(env: Environment, target_id: int, now: datetime, status: str) -> None:
    with env.unit_of_work() as session:
        target = session.get(ExportTarget, target_id)
        if target is not None:
            target.last_run_at, target.last_status, target.last_error = now, status, ""


def _record_failure(env: Environment, target_id: int, now: datetime,
                    error: str) -> PushResult | None:
    error = error[:500]
    log.warning("pushing vouchers to target %s failed: %s", target_id, error)

    def work() -> PushResult | None:
        with env.unit_of_work() as session:
            target = session.get(ExportTarget, target_id)
            if target is None:
                return None
            target.last_run_at, target.last_status, target.last_error = now, FAILED, error
            return PushResult(target.name, FAILED, error=error)

    return retry_transient(work)


# -- command line ----------------------------------------------------------------------------

def cli_commands() -> list[Any]:
    import click

    from openjxc.core.cli import database_option, open_environment
    from openjxc.core.models import utcnow

    @click.group(name="vouchers")
    def vouchers() -> None:
        """Vouchers for the accounting software."""

    @vouchers.command(name="push")
    @click.option("--target", "targets", multiple=True, metavar="NAME",
                  help="Only this export target (repeatable); default: every active one.")
    @database_option
    def push(targets: tuple[str, ...], database: str | None) -> None:
        """Push new vouchers to the export targets now, whatever their hour."""
        env = open_environment(database)
        results = push_now(env, utcnow(), targets)
        for result in results:
            click.echo(str(result))
        if not results:
            click.echo("no active export target")
        if any(r.status == FAILED for r in results):
            raise SystemExit(1)

    return [vouchers]
