"""docs/api-tour.md stays true: every ```graphql block runs, in order, against a fresh basic
demo database through the in-process API, and none answers an error.

The doc's conventions, which this test reads exactly as a reader would:

* the ```json block right after a ```graphql block holds its variables;
* ``# save: NAME = path.in.data`` inside a query keeps a value of its answer
  (``lines.0.id``: the first element's ``id``);
* ``"{{NAME}}"`` in a later variables block stands for that value;
* once ``token`` is saved (the login step), the following steps run as its user.

The ```sh blocks (the curl examples) run too, in one bash, against a real ``openjxc serve``
of the enterprise demo (what ``make demo`` serves).
"""

from __future__ import annotations

import json
import re
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from openjxc.core.demo import DEMO_USER
from openjxc.core.env import Environment
from openjxc.core.security.principal import authenticate
from openjxc.testing.fixtures import create_test_demo
from openjxc.testing.graphql import GraphQLTester

TOUR = Path(__file__).resolve().parents[2] / "docs" / "api-tour.md"
FENCE = re.compile(r"^```(\w*)\n(.*?)^```$", re.MULTILINE | re.DOTALL)
SAVE = re.compile(r"^\s*#\s*save:\s*(\w+)\s*=\s*([\w.]+)\s*$", re.MULTILINE)
PLACEHOLDER = re.compile(r"\{\{(\w+)\}\}")


@dataclass
class Step:
    query: str
    variables: Any
    saves: list[tuple[str, str]]


def steps(markdown: str) -> list[Step]:
    blocks = [(m.group(1), m.group(2)) for m in FENCE.finditer(markdown)]
    found = []
    for i, (language, text) in enumerate(blocks):
        if language != "graphql":
            continue
        following = blocks[i + 1] if i + 1 < len(blocks) else ("", "")
        variables = json.loads(following[1]) if following[0] == "json" else None
        found.append(Step(text, variables, SAVE.findall(text)))
    return found


def substitute(value: Any, saved: dict[str, Any]) -> Any:
    if isinstance(value, dict):
        return {k: substitute(v, saved) for k, v in value.items()}
    if isinstance(value, list):
        return [substitute(v, saved) for v in value]
    if isinstance(value, str):
        whole = PLACEHOLDER.fullmatch(value)
        if whole:
            return saved[whole.group(1)]
        return PLACEHOLDER.sub(lambda m: str(saved[m.group(1)]), value)
    return value


def pick(data: Any, path: str) -> Any:
    for part in path.split("."):
        data = data[int(part)] if isinstance(data, list) else data[part]
    return data


def payload_errors(data: Any, where: str = "") -> list[str]:
    """Non-empty ``errors`` lists anywhere in an answer (mutation payloads)."""
    found: list[str] = []
    if isinstance(data, dict):
        for key, value in data.items():
            if key == "errors" and value:
                found.append(f"{where}: {value}")
            else:
                found.extend(payload_errors(value, f"{where}.{key}"))
    elif isinstance(data, list):
        for i, value in enumerate(data):
            found.extend(payload_errors(value, f"{where}.{i}"))
    return found


def test_the_doc_follows_its_own_conventions() -> None:
    tour = steps(TOUR.read_text(encoding="utf-8"))
    assert len(tour) >= 10
    assert tour[0].saves == [("token", "tokenCreate.token")]
    defined: set[str] = set()
    for step in tour:
        used = set(PLACEHOLDER.findall(json.dumps(step.variables)))
        assert used <= defined, f"a step uses {used - defined} before saving it"
        defined.update(name for name, _path in step.saves)
        if "$" in step.query:
            assert step.variables is not None, f"no variables after:\n{step.query}"


def test_every_step_of_the_tour_runs(database_url: str) -> None:
    create_test_demo(database_url, "basic")  # a copy of what create_demo makes
    env = Environment.open(database_url)
    try:
        api = GraphQLTester(env).anonymous()
        saved: dict[str, Any] = {}
        for number, step in enumerate(steps(TOUR.read_text(encoding="utf-8")), start=1):
            variables = substitute(step.variables, saved) if step.variables else None
            result = api.execute(step.query, variables)
            assert not result.get("errors"), f"step {number}: {result['errors']}"
            data = result["data"]
            assert payload_errors(data) == [], f"step {number}:\n{step.query}"
            for name, path in step.saves:
                saved[name] = pick(data, path)
                assert saved[name], f"step {number}: {path} is empty"
            if any(name == "token" for name, _path in step.saves):
                with env.unit_of_work() as session:
                    principal = authenticate(session, env, saved["token"])
                assert principal is not None and principal.username == DEMO_USER
                api.principal = principal
        assert api.ok("{ me { username } }")["me"]["username"] == DEMO_USER
        delivered = api.ok('{ serialNumber(number: "TOUR-0001") { state } }')
        assert delivered["serialNumber"]["state"] == "DELIVERED"
    finally:
        env.database.dispose()


@pytest.mark.parametrize("broken", ['{"input": {"id": "{{nowhere}}"}}'])
def test_an_unknown_placeholder_is_caught(broken: str) -> None:
    with pytest.raises(KeyError):
        substitute(json.loads(broken), {})


def test_no_block_is_skipped_silently() -> None:
    """Every fence is one the tests read: a ```graphql step, the ```json of the step before
    it, or a ```sh block (run by the next test); a fence the pattern misses (indented, a
    typo in the language) fails here instead of being left out."""
    markdown = TOUR.read_text(encoding="utf-8")
    blocks = [(m.group(1), m.group(2)) for m in FENCE.finditer(markdown)]
    assert len(blocks) * 2 == len(re.findall(r"^\s*```", markdown, re.MULTILINE))
    assert {language for language, _text in blocks} == {"graphql", "json", "sh"}
    for i, (language, _text) in enumerate(blocks):
        if language == "json":
            assert i > 0 and blocks[i - 1][0] == "graphql", f"json block {i} has no query"
    assert len(steps(markdown)) == sum(language == "graphql" for language, _ in blocks)


# -- the curl examples, against a real server ---------------------------------------------

DOC_URL = "http://127.0.0.1:8000/graphql"


def shell_script(markdown: str, url: str) -> str:
    """The ```sh blocks in order, as one script (all but ``make demo``), talking to ``url``."""
    blocks = [m.group(2) for m in FENCE.finditer(markdown) if m.group(1) == "sh"]
    runnable = [text for text in blocks if not text.lstrip().startswith("make ")]
    assert len(runnable) >= 5 and len(runnable) == len(blocks) - 1
    script = "\n".join(runnable)
    assert f"OPENJXC={DOC_URL}" in script  # the one place the address is written
    assert script.count(DOC_URL) == 1, "a curl example bypasses $OPENJXC"
    return "set -euo pipefail\n" + script.replace(DOC_URL, url)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_the_curl_examples_run_as_written(database_url: str, tmp_path: Path) -> None:
    create_test_demo(database_url, "enterprise")  # what `make demo` serves
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "openjxc", "serve", "--port", str(port),
         "--database", database_url, "--log-level", "warning"],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, cwd=tmp_path)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1)
                break
            except httpx.TransportError:
                if server.poll() is not None or time.monotonic() > deadline:
                    output = server.stdout.read().decode() if server.stdout else ""
                    pytest.fail(f"the server did not come up:\n{output}")
                time.sleep(0.2)
        script = shell_script(TOUR.read_text(encoding="utf-8"),
                              f"http://127.0.0.1:{port}/graphql")
        done = subprocess.run(["bash", "-c", script], capture_output=True, text=True,
                              timeout=120, cwd=tmp_path)
    finally:
        server.terminate()
        server.wait(timeout=10)
    assert done.returncode == 0, done.stderr + done.stdout
    out = done.stdout
    assert out.count('{"data":{"me":{"username":"demo"}}}') == 2, out
    assert '"totalCount":1' in out and '"DJ-YE3-100L2-4-3-4"' in out
    assert '"state":"DRAFT"' in out and '"state":"APPROVED"' in out
    assert '"errors":[{' not in out and "errors" not in out.replace('"errors":[]', "")
