"""A stand-in for WeCom's robot endpoint: a real HTTP server on 127.0.0.1 that records
each POST and answers what the test queued (WeCom's ``{"errcode": 0, "errmsg": "ok"}``
when nothing is queued)."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

KEY = "693a91f6-7a4e-4bc4-97a0-0ec2sifa5aaa"
OK = {"errcode": 0, "errmsg": "ok"}


@dataclass
class Answer:
    status: int = 200
    body: bytes = json.dumps(OK).encode()
    delay: float = 0.0


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes

    @property
    def json(self) -> Any:
        return json.loads(self.body.decode("utf-8"))

    @property
    def content(self) -> str:
        return str(self.json["markdown"]["content"])


@dataclass
class Receiver:
    base_url: str
    received: list[Received] = field(default_factory=list)
    answers: list[Answer] = field(default_factory=list)

    @property
    def robot_url(self) -> str:
        return f"{self.base_url}?key={KEY}"

    def answer(self, errcode: int | None = None, *, status: int = 200, raw: bytes | None = None,
               delay: float = 0.0, errmsg: str = "error") -> None:
        """Queue the next answer."""
        body = raw if raw is not None else json.dumps(
            {"errcode": errcode or 0, "errmsg": errmsg if errcode else "ok"}).encode()
        self.answers.append(Answer(status=status, body=body, delay=delay))


def _handler(receiver: Receiver) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("content-length", "0"))
            body = self.rfile.read(length)
            receiver.received.append(Received(
                self.path, {k.lower(): v for k, v in self.headers.items()}, body))
            answer = receiver.answers.pop(0) if receiver.answers else Answer()
            if answer.delay:
                time.sleep(answer.delay)
            try:
                self.send_response(answer.status)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(answer.body)))
                self.end_headers()
                self.wfile.write(answer.body)
            except (BrokenPipeError, ConnectionResetError):  # the client gave up (timeout)
                pass

        def log_message(self, format: str, *args: Any) -> None:
            pass

    return Handler


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    receiver = Receiver(base_url="")
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(receiver))
    server.daemon_threads = True
    host, port = server.server_address[:2]
    receiver.base_url = f"http://{host!s}:{port}/cgi-bin/webhook/send"
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05},
                              daemon=True)
    thread.start()
    try:
        yield receiver
    finally:
        server.shutdown()
        server.server_close()
