"""Scheduled jobs: work an addon wants done every so often by ``openjxc worker``.

An addon returns :class:`ScheduledJob` objects from the ``register_scheduled_jobs`` hook::

    @hookimpl
    def register_scheduled_jobs():
        return [ScheduledJob("accounting.voucher_push", push_due, every_seconds=3600)]

``run(env, now)`` does the work in transactions of its own (``env.unit_of_work()``) and
returns a short summary (or None), which is recorded.  The declarations are checked when
the environment is built: a malformed job or a key contributed twice is a boot error.

:class:`JobScheduler` is what the worker runs next to the alert scheduler.  Each job has a
row in ``core_job_state`` (when it last ran, when it is next due, its last failure).
Several workers may run at once; a job runs once per due time all the same:

1. *claim* — a short transaction locks the job's row (``FOR UPDATE``; SQLite's ``BEGIN
   IMMEDIATE`` serialises anyway), checks that the job is due and not leased to another
   worker, and writes a lease (``lease_owner``, ``lease_until``) before it commits;
2. *run* — outside any lock, so the job may take its time and open its own transactions;
3. *finish* — records the outcome, the next due time, and drops the lease (a run that
   outlived its lease and was taken over records nothing: the lease and the outcome are
   the new holder's).

A worker that dies while running leaves its lease, which expires after
``lease_seconds``: then another worker runs the job.  A job that raises is recorded
(``last_status = "failed"``, ``last_error``, ``failures``) and retried with backoff —
:data:`BACKOFF_SECONDS` doubled per consecutive failure, never later than its normal
schedule — and never stops the worker or the other jobs.
"""

from __future__ import annotations

import logging
import re
import threading
import traceback
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy import Integer, String, Text, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from openjxc.core.db import lock_or_create, retry_transient
from openjxc.core.errors import BootError
from openjxc.core.models import Base, UTCDateTime, utcnow

if TYPE_CHECKING:
    from openjxc.core.env import Environment

log = logging.getLogger(__name__)

#: First retry delay after a failure; doubled for each further consecutive failure.
BACKOFF_SECONDS = 60
KEY = re.compile(r"^[a-z][a-z0-9_.-]{0,127}$")
_ENV_KEY = "openjxc.core.jobs"
_MAX_ERROR_CHARS = 4000
_MAX_RESULT_CHARS = 500

Clock = Callable[[], datetime]
JobRun = Callable[["Environment", datetime], "str | None"]


@dataclass(frozen=True)
class ScheduledJob:
    """Work to run every ``every_seconds``; ``lease_seconds`` bounds one run (after that,
    another worker may take the job over from a worker that died)."""

    key: str
    run: JobRun
    every_seconds: int
    lease_seconds: int = 900

    def problems(self) -> list[str]:
        found = []
        if not isinstance(self.key, str) or not KEY.match(self.key):
            found.append(f"job key {self.key!r} must be lowercase letters, digits, '_', "
                         f"'.' or '-' (up to 128)")
        if not callable(self.run):
            found.append(f"job {self.key!r}: run must be callable as run(env, now)")
        for name in ("every_seconds", "lease_seconds"):
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool) or value < 1:
                found.append(f"job {self.key!r}: {name} must be a positive whole number")
        return found


class JobState(Base):
    """A job's schedule, last outcome and lease; its row is also the job's lock."""

    __tablename__ = "core_job_state"

    key: Mapped[str] = mapped_column(String(128), primary_key=True)
    next_run_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    last_run_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    #: ``ok`` or ``failed`` ("" before the first run).
    last_status: Mapped[str] = mapped_column(String(16), default="")
    last_result: Mapped[str] = mapped_column(String(_MAX_RESULT_CHARS), default="")
    last_error: Mapped[str | None] = mapped_column(Text, nullable=True)
    #: Consecutive failures (0 after a success): the backoff grows with it.
    failures: Mapped[int] = mapped_column(Integer, default=0)
    lease_owner: Mapped[str | None] = mapped_column(String(64), nullable=True)
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)


class JobRegistry:
    """The jobs of one environment, checked (cached in ``env.extensions``)."""

    def __init__(self, env: Environment) -> None:
        self.jobs: dict[str, ScheduledJob] = {}
        self.owner: dict[str, str] = {}
        for owner, jobs in env.contributions("register_scheduled_jobs"):
            for job in jobs:
                if not isinstance(job, ScheduledJob):
                    raise BootError(f"{owner}: register_scheduled_jobs returned {job!r}, "
                                    f"not a ScheduledJob")
                problems = job.problems()
                if problems:
                    raise BootError(f"{owner}: {'; '.join(problems)}")
                if job.key in self.jobs:
                    raise BootError(f"duplicate scheduled job {job.key!r} "
                                    f"({self.owner[job.key]} and {owner})")
                self.jobs[job.key] = job
                self.owner[job.key] = owner

    @classmethod
    def for_environment(cls, env: Environment) -> JobRegistry:
        found = env.extensions.get(_ENV_KEY)
        if not isinstance(found, JobRegistry):
            found = env.extensions[_ENV_KEY] = cls(env)
        return found


@dataclass
class JobOutcome:
    key: str
    result: str | None = None
    error: str | None = None


@dataclass
class JobReport:
    outcomes: list[JobOutcome] = field(default_factory=list)

    @property
    def ran(self) -> list[str]:
        return [o.key for o in self.outcomes]

    @property
    def failed(self) -> dict[str, str]:
        return {o.key: o.error for o in self.outcomes if o.error is not None}


def lock_job(session: Session, key: str) -> JobState:
    """The job's state row, locked until the transaction ends (created if missing)."""
    return lock_or_create(
        session, select(JobState).where(JobState.key == key),
        lambda: JobState(key=key, last_status="", last_result="", failures=0))


def backoff(job: ScheduledJob, failures: int) -> timedelta:
    """How long after its ``failures``-th consecutive failure a job is tried again."""
    seconds = BACKOFF_SECONDS * 2 ** min(max(failures - 1, 0), 20)
    return timedelta(seconds=min(seconds, job.every_seconds))


class JobScheduler:
    """Runs the scheduled jobs that are due (see the module docstring).

    ``now`` is injectable so that tests move time by hand; ``owner`` names this worker in
    the leases it takes (a fresh id by default).
    """

    def __init__(self, env: Environment, *, now: Clock = utcnow,
                 owner: str | None = None) -> None:
        self.env = env
        self.registry = JobRegistry.for_environment(env)
        self.owner = owner or uuid.uuid4().hex
        self._now = now

    def due_jobs(self, now: datetime | None = None) -> list[str]:
        """Jobs whose time has come and which no live lease holds."""
        moment = now or self._now()
        with self.env.unit_of_work(readonly=True) as session:
            states = {s.key: s for s in session.scalars(
                select(JobState).where(JobState.key.in_(list(self.registry.jobs))))}
        return [key for key in self.registry.jobs
                if _is_due(states.get(key), moment, force=False)]

    def run_due(self, now: datetime | None = None) -> JobReport:
        """Run every due job as of ``now``; a failing job is reported, not raised."""
        moment = now or self._now()
        report = JobReport()
        for key in self.due_jobs(moment):
            outcome = self.run_job(key, moment)
            if outcome is not None:
                report.outcomes.append(outcome)
        return report

    def run_job(self, key: str, now: datetime | None = None, *,
                force: bool = False) -> JobOutcome | None:
        """Run ``key`` if it is due (or at once with ``force``, unless another worker holds
        it); None when this worker did not get it."""
        job = self.registry.jobs.get(key)
        if job is None:
            raise ValueError(f"unknown scheduled job {key!r}")
        moment = now or self._now()
        if not retry_transient(lambda: self._claim(job, moment, force)):
            return None
        try:
            result = job.run(self.env, moment)
        except Exception as exc:
            log.exception("scheduled job %s failed", key)
            error = "".join(traceback.format_exception(exc))[-_MAX_ERROR_CHARS:]
            self._finish(job, moment, None, error)
            return JobOutcome(key, error=f"{type(exc).__name__}: {exc}")
        summary = None if result is None else str(result)
        self._finish(job, moment, summary, None)
        return JobOutcome(key, result=summary)

    def _claim(self, job: ScheduledJob, now: datetime, force: bool) -> bool:
        with self.env.unit_of_work() as session:
            state = lock_job(session, job.key)
            if not _is_due(state, now, force=force):
                return False
            state.lease_owner = self.owner
            state.lease_until = now + timedelta(seconds=job.lease_seconds)
            return True

    def _finish(self, job: ScheduledJob, now: datetime, result: str | None,
                error: str | None) -> None:
        def work() -> None:
            with self.env.unit_of_work() as session:
                state = lock_job(session, job.key)
                if state.lease_owner not in (self.owner, None):
                    # This run outlived its lease and another worker runs the job now:
                    # its lease stays (dropping it would let a third worker start), and
                    # its own outcome will be recorded when it finishes.
                    log.warning("job %s: the lease of worker %s was taken over by %s",
                                job.key, self.owner, state.lease_owner)
                    return
                state.last_run_at = now
                state.lease_owner = None
                state.lease_until = None
                if error is None:
                    state.last_status = "ok"
                    state.last_result = (result or "")[:_MAX_RESULT_CHARS]
                    state.last_error = None
                    state.failures = 0
                    state.next_run_at = now + timedelta(seconds=job.every_seconds)
                else:
                    state.last_status = "failed"
                    state.last_error = error
                    state.failures = (state.failures or 0) + 1
                    state.next_run_at = now + backoff(job, state.failures)

        try:
            retry_transient(work)
        except Exception:  # the lease expires by itself; the worker goes on
            log.exception("recording the outcome of scheduled job %s failed", job.key)

    def run_forever(self, stop_event: threading.Event, poll_interval: float = 5.0) -> None:
        """Run due jobs until ``stop_event`` is set; a failing pass is logged, not fatal."""
        while not stop_event.is_set():
            try:
                self.run_due()
            except Exception:
                log.exception("job scheduler pass failed")
            stop_event.wait(poll_interval)


def _is_due(state: JobState | None, now: datetime, *, force: bool) -> bool:
    if state is None:
        return True
    if state.lease_until is not None and state.lease_until > now:
        return False
    return force or state.next_run_at is None or state.next_run_at <= now


JOB_MODELS: tuple[type[Base], ...] = (JobState,)
