# Two commands do all the set-up on a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
# The web client's one third-party file (socket.io-client's browser build); never committed.
VENDOR := web/static/vendor/socket.io.min.js

.PHONY: run test install web web-if-npm clean

$(STAMP): setup.cfg pyproject.toml
	@echo "make: creating $(VENV) and installing the Python packages (a minute or two the first time)..."
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[localdb,test,prod]'
	touch $(STAMP)
	@echo "make: Python packages installed"

install: $(STAMP)

# The web client served at / needs socket.io-client from npm; no build step beyond copying its dist file.
web: $(VENDOR)

$(VENDOR): web/package.json
	@echo "make: fetching socket.io-client for the web client with npm..."
	cd web && npm install --no-audit --no-fund socket.io-client@4
	mkdir -p $(dir $(VENDOR))
	cp web/node_modules/socket.io-client/dist/socket.io.min.js $(VENDOR)

# `run` and `test` build the web client when npm is here, and carry on without it (the API works
# regardless; / then says how to build the client, and the browser tests skip unless REQUIRE_BROWSER=1).
web-if-npm:
	@if command -v npm >/dev/null 2>&1; then \
		$(MAKE) --no-print-directory web || echo "make: the web client was not built (npm install failed); the API still works" >&2; \
	elif [ ! -f $(VENDOR) ]; then \
		echo "make: npm not found, so the web client at / is not built; the API still works (see README, Web client)" >&2; \
	fi

run: install web-if-npm
	$(PY) wsgi.py

# The suite in two pytest runs (docs/testing.md): first the tests marked `serial` (they measure time) alone, then
# all the others on every core (pytest-xdist: a database server and a live server per worker, each file on one
# worker). Each run lists its 20 slowest tests; `make test` fails when either does. PYTEST_ARGS goes to both runs
# (e.g. PYTEST_ARGS=tests/test_groups.py), PYTEST_WORKERS sets the workers (a number, or auto: one per core).
PYTEST_WORKERS ?= auto

test: install web-if-npm
	$(PY) -m ruff check .
	$(VENV)/bin/lint-imports --no-cache
	$(VENV)/bin/mypy
	@serial=0; $(PY) -m pytest -m serial --durations=20 $(PYTEST_ARGS) || [ $$? -eq 5 ] || serial=1; \
	parallel=0; $(PY) -m pytest -m "not serial" -n $(PYTEST_WORKERS) --dist loadfile --durations=20 $(PYTEST_ARGS) \
		|| [ $$? -eq 5 ] || parallel=1; \
	if [ $$serial = 1 ]; then echo "make test: the serial run (the first above) failed" >&2; fi; \
	[ $$serial = 0 ] && [ $$parallel = 0 ]

# Keeps var/db (the local database's data); delete it by hand to start from an empty database.
clean:
	rm -rf $(VENV) var/outbox build *.egg-info web/node_modules web/static/vendor web/package-lock.json

# Benchmarks (bench/, docs/performance.md): `bench` ~30 min, `bench-quick` ~2-3 min. Each installs the load
# generator's extra and the Node baseline, lifts the open-file limit, and writes bench/results/.
.PHONY: bench bench-quick bench-deps
bench-deps: install
	$(PY) -m pip install --quiet -e '.[localdb,test,bench]'
	cd bench/baselines && npm install --no-audit --no-fund

bench: bench-deps
	ulimit -n $$(ulimit -Hn) && $(PY) -m bench.run $(BENCH_ARGS)

bench-quick: bench-deps
	ulimit -n $$(ulimit -Hn) && BENCH_QUICK=1 $(PY) -m bench.run $(BENCH_ARGS)
