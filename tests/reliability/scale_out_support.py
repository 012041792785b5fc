"""Helpers of ``test_scale_out.py``: which process holds a TCP connection, a probe addon
installed the way pip installs one, and processes started and stopped by the test.

The probe addon (``scale_out_probe``) is written to a directory with a ``.dist-info``
whose ``entry_points.txt`` registers it in ``openjxc.addons``: on ``PYTHONPATH``, the real
``openjxc worker`` finds it exactly as it finds a partner's pip-installed addon.  Its two
pieces record what they do in a file (``SCALE_OUT_SINK``), one ``os.write`` of one line
each, appended atomically whichever process writes:

* an after-commit handler of ``scale_out.ping`` (so every published ping is one outbox
  row): ``delivered <n> <pid>``;
* a scheduled job ``scale_out.tick`` every 2 s: ``job <now> <pid> <start> <end>``.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import textwrap
import time
from collections.abc import Iterable
from pathlib import Path

PROBE = "scale_out_probe"
JOB_EVERY_S = 2

MANIFEST = f"""\
name = "{PROBE}"
version = "0.1.0"
kernel = ">=0.1,<0.2"
depends = []
tier = "basic"
summary = "Records outbox deliveries and job runs (scale-out test)"
table_prefix = "sop"
"""

INIT = f'''
from __future__ import annotations

import os
import time
from dataclasses import dataclass
from typing import ClassVar

from openjxc.core.events import Event, Subscription
from openjxc.core.hookspecs import hookimpl
from openjxc.core.jobs import ScheduledJob


@dataclass(frozen=True)
class Ping(Event):
    name: ClassVar[str] = "scale_out.ping"
    n: int


def _record(line: str) -> None:
    fd = os.open(os.environ["SCALE_OUT_SINK"], os.O_WRONLY | os.O_APPEND | os.O_CREAT)
    try:
        os.write(fd, (line + "\\n").encode())
    finally:
        os.close(fd)


def deliver(event, *, env):
    time.sleep(0.01)  # a little work, so that one worker cannot take every batch
    _record(f"delivered {{event.n}} {{os.getpid()}}")


def tick(env, now):
    start = time.time()
    time.sleep(0.3)  # a run long enough that two workers running it at once would overlap
    _record(f"job {{now.isoformat()}} {{os.getpid()}} {{start}} {{time.time()}}")
    return "ticked"


@hookimpl
def register_event_handlers():
    return [Subscription(Ping, deliver, phase="after_commit")]


@hookimpl
def register_scheduled_jobs():
    return [ScheduledJob("scale_out.tick", tick, every_seconds={JOB_EVERY_S}, lease_seconds=30)]
'''


def write_probe(root: Path) -> Path:
    """The probe package and its ``.dist-info`` under ``root``; returns ``root``."""
    package = root / PROBE
    package.mkdir(parents=True)
    (package / "manifest.toml").write_text(MANIFEST, encoding="utf-8")
    (package / "__init__.py").write_text(textwrap.dedent(INIT), encoding="utf-8")
    info = root / f"{PROBE}-0.1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {PROBE}\nVersion: 0.1.0\n",
                                   encoding="utf-8")
    (info / "entry_points.txt").write_text(f"[openjxc.addons]\n{PROBE} = {PROBE}\n",
                                           encoding="utf-8")
    return root


# -- processes and their sockets -------------------------------------------------------------

def descendants(pid: int) -> list[int]:
    """Every process below ``pid`` (from /proc's children lists)."""
    found: list[int] = []
    todo = [pid]
    while todo:
        current = todo.pop()
        for task in Path(f"/proc/{current}/task").glob("*"):
            with contextlib.suppress(OSError):
                for child in (task / "children").read_text().split():
                    found.append(int(child))
                    todo.append(int(child))
    return found


def _socket_inodes(pid: int) -> set[str]:
    inodes = set()
    with contextlib.suppress(OSError):
        for fd in Path(f"/proc/{pid}/fd").iterdir():
            with contextlib.suppress(OSError):
                target = os.readlink(fd)
                if target.startswith("socket:["):
                    inodes.add(target[8:-1])
    return inodes


def _tcp_connections() -> list[tuple[int, int, str]]:
    """(local port, remote port, inode) of every established IPv4/IPv6 TCP socket."""
    rows = []
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        with contextlib.suppress(OSError):
            for line in Path(table).read_text().splitlines()[1:]:
                parts = line.split()
                if parts[3] != "01":  # ESTABLISHED
                    continue
                local, remote = parts[1], parts[2]
                rows.append((int(local.rsplit(":", 1)[1], 16),
                             int(remote.rsplit(":", 1)[1], 16), parts[9]))
    return rows


def owner_of_connection(pids: Iterable[int], local_port: int, remote_port: int) -> int | None:
    """Which of ``pids`` holds the socket from ``local_port`` to ``remote_port``."""
    inodes = {inode for lp, rp, inode in _tcp_connections()
              if lp == local_port and rp == remote_port}
    for pid in pids:
        if _socket_inodes(pid) & inodes:
            return pid
    return None


def holds_connection_to(pid: int, remote_port: int) -> bool:
    """Whether ``pid`` has an established connection to ``remote_port`` (a database)."""
    inodes = {inode for _lp, rp, inode in _tcp_connections() if rp == remote_port}
    return bool(_socket_inodes(pid) & inodes)


def wait_for(condition: object, timeout: float, what: str, interval: float = 0.1) -> None:
    deadline = time.monotonic() + timeout
    while not condition():  # type: ignore[operator]
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(interval)


def stop(proc: subprocess.Popen[bytes], sig: int = signal.SIGTERM) -> None:
    """Signal the process group, then kill it if it does not end within 15 s."""
    if proc.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, sig)
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)
