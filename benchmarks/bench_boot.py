"""Boot of the enterprise edition and ``openjxc init`` of an enterprise database.

Each measurement runs in a fresh interpreter (imports are part of boot).  Prints JSON.
Aim (issue 2): boot < 1.5 s, init < 10 s on the 2-core reference machine.
"""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BOOT = """
import time
t0 = time.perf_counter()
from openjxc.core.addons import resolve_edition
from openjxc.core.env import Environment
manifests = resolve_edition("enterprise")
t1 = time.perf_counter()
env = Environment(manifests)
t2 = time.perf_counter()
from openjxc.graphql.schema import build_schema
build_schema(env)
t3 = time.perf_counter()
print(t1 - t0, t2 - t1, t3 - t2)
"""


def measure_boot(runs: int = 5) -> dict[str, float]:
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        out = subprocess.run([sys.executable, "-c", BOOT], check=True, capture_output=True,
                             text=True).stdout.split()
        total = time.perf_counter() - start
        samples.append((total, *map(float, out)))
    return {
        "process_total_s": round(statistics.median(s[0] for s in samples), 3),
        "resolve_s": round(statistics.median(s[1] for s in samples), 3),
        "environment_s": round(statistics.median(s[2] for s in samples), 3),
        "schema_s": round(statistics.median(s[3] for s in samples), 3),
        "boot_s": round(statistics.median(s[1] + s[2] + s[3] for s in samples), 3),
    }


def measure_init(runs: int = 3) -> dict[str, float]:
    openjxc = Path(sys.executable).with_name("openjxc")
    samples = []
    for _ in range(runs):
        with tempfile.TemporaryDirectory() as tmp:
            start = time.perf_counter()
            subprocess.run([str(openjxc), "init", "--edition", "enterprise", "--database",
                            f"sqlite:///{tmp}/bench.db"], check=True, capture_output=True)
            samples.append(time.perf_counter() - start)
    return {"init_sqlite_s": round(statistics.median(samples), 3)}


if __name__ == "__main__":
    result = {"benchmark": "boot", **measure_boot(), **measure_init()}
    result["aims"] = {"boot_s": 1.5, "init_sqlite_s": 10}
    print(json.dumps(result))
