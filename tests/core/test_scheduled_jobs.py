"""Scheduled jobs: they run when due, once per due time however many workers run them,
a failure is recorded and retried with backoff without stopping anything, and a bad
declaration fails at boot."""

from __future__ import annotations

import importlib
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from openjxc.core.addons import AddonManifest, read_manifest
from openjxc.core.config import Settings
from openjxc.core.db import Database
from openjxc.core.env import Environment
from openjxc.core.errors import BootError
from openjxc.core.jobs import BACKOFF_SECONDS, JobScheduler, JobState, ScheduledJob
from openjxc.core.models import Base

T0 = datetime(2030, 3, 1, 8, 0, tzinfo=UTC)

ADDON_SOURCE = """
from openjxc.core.hookspecs import hookimpl

JOBS = []


@hookimpl
def register_scheduled_jobs():
    return list(JOBS)
"""

AddonFactory = Callable[..., AddonManifest]
EnvFactory = Callable[..., Environment]


@pytest.fixture
def make_addon(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[AddonFactory]:
    """``make_addon(jobs)``: a new addon package contributing them."""
    monkeypatch.syspath_prepend(str(tmp_path))
    made: list[str] = []

    def make(jobs: Sequence[Any] = ()) -> AddonManifest:
        name = f"jobs_fake_{uuid.uuid4().hex[:8]}"
        package = tmp_path / name
        package.mkdir()
        (package / "manifest.toml").write_text(
            f'name = "{name}"\nversion = "1.0"\nkernel = ">=0.1"\ndepends = []\n'
            f'tier = "basic"\nsummary = "jobs test addon"\ntable_prefix = "{name}"\n')
        (package / "__init__.py").write_text(ADDON_SOURCE)
        importlib.invalidate_caches()
        importlib.import_module(name).JOBS.extend(jobs)
        made.append(name)
        return read_manifest(name)

    yield make
    for name in made:
        sys.modules.pop(name, None)


@pytest.fixture
def build_env(database_url: str) -> Iterator[EnvFactory]:
    """An environment on the test's database with its own engine (as another worker
    process would have), the kernel's tables created."""
    databases: list[Database] = []

    def build(*manifests: AddonManifest) -> Environment:
        database = Database(database_url)
        databases.append(database)
        env = Environment(list(manifests), database=database, settings=Settings())
        Base.metadata.create_all(database.engine, tables=env.tables)
        return env

    yield build
    for database in databases:
        database.dispose()


class Counter:
    def __init__(self, *, fail: int = 0, pause: float = 0.0) -> None:
        self.calls: list[datetime] = []
        self.fail = fail
        self.pause = pause
        self._lock = threading.Lock()

    def __call__(self, env: Environment, now: datetime) -> str:
        with self._lock:
            self.calls.append(now)
            failing = len(self.calls) <= self.fail
        time.sleep(self.pause)
        if failing:
            raise RuntimeError("the receiver is down")
        return f"run {len(self.calls)}"


def state(env: Environment, key: str) -> JobState:
    with env.unit_of_work(readonly=True) as session:
        found = session.get(JobState, key)
        assert found is not None
        session.expunge(found)
        return found


def test_a_job_runs_when_due_and_records_what_it_did(make_addon: AddonFactory,
                                                      build_env: EnvFactory) -> None:
    counter = Counter()
    env = build_env(make_addon([ScheduledJob("test.tick", counter, every_seconds=600)]))
    scheduler = JobScheduler(env)

    assert scheduler.run_due(T0).ran == ["test.tick"]  # never ran: due at once
    assert scheduler.run_due(T0 + timedelta(seconds=599)).ran == []
    assert scheduler.run_due(T0 + timedelta(seconds=600)).ran == ["test.tick"]
    found = state(env, "test.tick")
    assert (found.last_run_at, found.next_run_at) == (T0 + timedelta(seconds=600),
                                                      T0 + timedelta(seconds=1200))
    assert (found.last_status, found.last_result, found.failures) == ("ok", "run 2", 0)
    assert (found.lease_owner, found.lease_until) == (None, None)


def test_a_failure_is_recorded_retried_with_backoff_and_stops_nothing(
        make_addon: AddonFactory, build_env: EnvFactory) -> None:
    failing, other = Counter(fail=2), Counter()
    env = build_env(make_addon([ScheduledJob("test.a_failing", failing, every_seconds=3600),
                                ScheduledJob("test.b_other", other, every_seconds=3600)]))
    scheduler = JobScheduler(env)

    report = scheduler.run_due(T0)
    assert report.ran == ["test.a_failing", "test.b_other"]  # the other one still ran
    assert report.failed == {"test.a_failing": "RuntimeError: the receiver is down"}
    found = state(env, "test.a_failing")
    assert (found.last_status, found.failures) == ("failed", 1)
    assert "the receiver is down" in (found.last_error or "")
    assert found.next_run_at == T0 + timedelta(seconds=BACKOFF_SECONDS)

    assert scheduler.run_due(T0 + timedelta(seconds=BACKOFF_SECONDS - 1)).ran == []
    second = T0 + timedelta(seconds=BACKOFF_SECONDS)
    assert scheduler.run_due(second).failed  # fails again: the wait doubles
    assert state(env, "test.a_failing").next_run_at == second + timedelta(
        seconds=2 * BACKOFF_SECONDS)
    third = second + timedelta(seconds=2 * BACKOFF_SECONDS)
    assert scheduler.run_due(third).failed == {}
    found = state(env, "test.a_failing")
    assert (found.last_status, found.failures, found.last_error) == ("ok", 0, None)
    assert found.next_run_at == third + timedelta(seconds=3600)


def test_backoff_never_waits_longer_than_the_schedule(make_addon: AddonFactory,
                                                       build_env: EnvFactory) -> None:
    env = build_env(make_addon([ScheduledJob("test.often", Counter(fail=5),
                                             every_seconds=90)]))
    scheduler = JobScheduler(env)
    moment = T0
    for _ in range(4):
        scheduler.run_due(moment)
        moment = state(env, "test.often").next_run_at or moment
    found = state(env, "test.often")
    assert found.failures == 4 and found.next_run_at and found.last_run_at
    assert found.next_run_at - found.last_run_at == timedelta(seconds=90)


def test_two_workers_run_a_due_job_once(make_addon: AddonFactory,
                                        build_env: EnvFactory) -> None:
    counter = Counter(pause=0.5)
    manifest = make_addon([ScheduledJob("test.push", counter, every_seconds=3600)])
    schedulers = [JobScheduler(build_env(manifest)) for _ in range(2)]
    start = threading.Barrier(2)
    reports: list[list[str]] = []

    def work(scheduler: JobScheduler) -> None:
        start.wait()
        reports.append(scheduler.run_due(T0).ran)

    threads = [threading.Thread(target=work, args=(s,)) for s in schedulers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert len(counter.calls) == 1
    assert sorted(reports) == [[], ["test.push"]]
    # The next due time is one schedule later for both of them.
    assert [s.run_due(T0 + timedelta(seconds=3599)).ran for s in schedulers] == [[], []]


def test_a_lease_left_by_a_dead_worker_expires(make_addon: AddonFactory,
                                               build_env: EnvFactory) -> None:
    counter = Counter()
    env = build_env(make_addon([ScheduledJob("test.leased", counter, every_seconds=60,
                                             lease_seconds=300)]))
    with env.unit_of_work() as session:
        session.add(JobState(key="test.leased", last_status="", last_result="", failures=0,
                             lease_owner="dead-worker",
                             lease_until=T0 + timedelta(seconds=300)))
    scheduler = JobScheduler(env)
    assert scheduler.run_due(T0).ran == []
    assert scheduler.run_job("test.leased", T0, force=True) is None  # not even forced
    assert scheduler.run_due(T0 + timedelta(seconds=300)).ran == ["test.leased"]
    assert len(counter.calls) == 1


def test_a_run_that_outlived_its_lease_leaves_the_new_holders_lease(
        make_addon: AddonFactory, build_env: EnvFactory) -> None:
    counter = Counter()
    manifest = make_addon([ScheduledJob("test.slow", counter, every_seconds=3600,
                                        lease_seconds=60)])
    late, taker = JobScheduler(build_env(manifest)), JobScheduler(build_env(manifest))
    job = late.registry.jobs["test.slow"]
    assert late._claim(job, T0, False)
    later = T0 + timedelta(seconds=61)  # the first run is still going: its lease ended
    assert taker._claim(job, later, False)
    late._finish(job, T0, "run 1", None)
    found = state(taker.env, "test.slow")
    assert (found.lease_owner, found.lease_until) == (taker.owner,
                                                      later + timedelta(seconds=60))
    assert late.run_job("test.slow", later + timedelta(seconds=1), force=True) is None
    taker._finish(job, later, "run 2", None)
    found = state(taker.env, "test.slow")
    assert (found.lease_owner, found.last_result) == (None, "run 2")


def test_run_job_with_force_runs_before_the_due_time(make_addon: AddonFactory,
                                                     build_env: EnvFactory) -> None:
    counter = Counter()
    env = build_env(make_addon([ScheduledJob("test.manual", counter, every_seconds=3600)]))
    scheduler = JobScheduler(env)
    scheduler.run_due(T0)
    assert scheduler.run_job("test.manual", T0 + timedelta(seconds=5)) is None
    outcome = scheduler.run_job("test.manual", T0 + timedelta(seconds=5), force=True)
    assert outcome is not None and outcome.result == "run 2"
    with pytest.raises(ValueError, match="unknown scheduled job"):
        scheduler.run_job("test.nobody")


def test_a_broken_pass_does_not_stop_the_scheduler(make_addon: AddonFactory,
                                                   build_env: EnvFactory,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    env = build_env(make_addon([ScheduledJob("test.tick", Counter(), every_seconds=60)]))
    scheduler = JobScheduler(env)
    passes: list[int] = []
    stop = threading.Event()

    def flaky(now: datetime | None = None) -> Any:
        passes.append(1)
        if len(passes) == 1:
            raise RuntimeError("database restarting")
        stop.set()
        return None

    monkeypatch.setattr(scheduler, "run_due", flaky)
    thread = threading.Thread(target=scheduler.run_forever, args=(stop,),
                              kwargs={"poll_interval": 0.01})
    thread.start()
    thread.join(timeout=10)
    assert not thread.is_alive() and len(passes) == 2


# -- boot -------------------------------------------------------------------------------------

def test_a_job_key_contributed_twice_fails_at_boot(make_addon: AddonFactory) -> None:
    first = make_addon([ScheduledJob("test.same", Counter(), every_seconds=60)])
    second = make_addon([ScheduledJob("test.same", Counter(), every_seconds=60)])
    with pytest.raises(BootError, match=r"duplicate scheduled job 'test.same' \(jobs_fake_"):
        Environment([first, second], settings=Settings())


@pytest.mark.parametrize(("job", "message"), [
    (ScheduledJob("Bad Key", lambda env, now: None, every_seconds=60), "job key 'Bad Key'"),
    (ScheduledJob("test.zero", lambda env, now: None, every_seconds=0),
     "every_seconds must be a positive whole number"),
    (ScheduledJob("test.lease", lambda env, now: None, every_seconds=5, lease_seconds=-1),
     "lease_seconds must be a positive whole number"),
    (ScheduledJob("test.run", "not callable", every_seconds=5),  # type: ignore[arg-type]
     "run must be callable"),
    ("not a job", "not a ScheduledJob"),
])
def test_a_malformed_job_fails_at_boot(make_addon: AddonFactory, job: Any,
                                       message: str) -> None:
    with pytest.raises(BootError, match=message):
        Environment([make_addon([job])], settings=Settings())
