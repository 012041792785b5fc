# The README's commands.  Everything a fresh machine needs is installed from here.
VENV   ?= .venv
PYTHON ?= python3
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
DEMO_DB ?= sqlite:///demo.db
HOST   ?= 127.0.0.1
PORT   ?= 8000

.PHONY: setup fonts demo test lint typecheck pytest bench schema clean

setup: $(STAMP) fonts

$(STAMP): pyproject.toml $(wildcard examples/*/pyproject.toml)
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e ".[dev]"
	@for d in examples/*/; do [ -f "$$d/pyproject.toml" ] && $(BIN)/python -m pip install -q -e "$$d" || true; done
	touch $(STAMP)

# PDFs with Chinese text need a CJK font (and WeasyPrint wants HarfBuzz's subsetter);
# install them where we may (Debian, as root).
fonts:
	@if fc-list :lang=zh 2>/dev/null | grep -q . && ldconfig -p | grep -q libharfbuzz-subset; then :; \
	elif command -v apt-get >/dev/null 2>&1 && [ "$$(id -u)" = 0 ]; then \
		echo "installing fonts-wqy-microhei libharfbuzz-subset0"; \
		(apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
			fonts-wqy-microhei libharfbuzz-subset0 >/dev/null) \
		|| echo "warning: could not install a CJK font (fonts-wqy-microhei)"; \
	else echo "warning: no CJK font found; install fonts-wqy-microhei or fonts-noto-cjk"; fi

demo: setup
	$(BIN)/openjxc demo --database $(DEMO_DB)
	$(BIN)/openjxc serve --database $(DEMO_DB) --host $(HOST) --port $(PORT)

test: setup lint typecheck pytest

lint:
	$(BIN)/ruff check .

typecheck:
	$(BIN)/mypy

# One worker more than this machine's two cores: tests wait on PostgreSQL and on the
# processes and servers they start, and a third worker fills those waits (~8% faster).
PYTEST_WORKERS ?= 3

pytest:
	$(BIN)/pytest -q -n $(PYTEST_WORKERS)

# bench_http.py drives the server with wrk (Python generator as a fallback, which costs the
# server CPU on a small machine); install it where we may (Debian, as root).
bench: setup
	@if command -v wrk >/dev/null 2>&1; then :; \
	elif command -v apt-get >/dev/null 2>&1 && [ "$$(id -u)" = 0 ]; then \
		echo "installing wrk"; \
		(DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null 2>&1 \
		 || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null)) \
		|| echo "warning: could not install wrk; bench_http.py falls back to Python"; \
	else echo "warning: wrk not found; bench_http.py falls back to a Python load generator"; fi
	@for b in benchmarks/bench_*.py; do $(BIN)/python $$b; done

schema: setup
	@for e in basic pro enterprise; do $(BIN)/openjxc schema --edition $$e > schema/$$e.graphql; done

clean:
	rm -rf $(VENV) build *.egg-info .mypy_cache .ruff_cache .pytest_cache
