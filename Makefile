SHELL := /bin/bash
.DEFAULT_GOAL := run

VENV        := .venv
PY          := $(VENV)/bin/python
BUN_VERSION := 1.4.5
BUN_DIR     := .tools/bun
BUN_STAMP   := $(BUN_DIR)/.installed-$(BUN_VERSION)
# Keyed on content, not mtime: `reflex run` touches requirements.txt on every start.
REQ_STAMP   := $(VENV)/.requirements-$(shell sha256sum requirements.txt | cut -c1-16)
DEV_STAMP   := $(VENV)/.dev-requirements-$(shell cat requirements.txt requirements-dev.txt | sha256sum | cut -c1-16)
# Browser-test tools from the npm registry (axe-core), pinned by tests/browser/package-lock.json.
BROWSER_NPM := tests/browser
AXE_STAMP   := $(BROWSER_NPM)/node_modules/.installed-$(shell sha256sum $(BROWSER_NPM)/package-lock.json | cut -c1-16)
SUDO        := $(if $(filter 0,$(shell id -u)),,sudo)
RUN_ARGS    ?=

# Every reflex invocation (run, tests through AppHarness) uses the npm-registry bun, offline-safe.
export PATH := $(CURDIR)/$(BUN_DIR)/node_modules/.bin:$(CURDIR)/$(VENV)/bin:$(PATH)
export REFLEX_BUN_PATH := $(CURDIR)/$(BUN_DIR)/node_modules/.bin/bun
export REFLEX_TELEMETRY_ENABLED := false
export REFLEX_CHECK_LATEST_VERSION := 0
export NPM_CONFIG_REGISTRY := https://registry.npmjs.org/

.PHONY: install install-dev run example example-clerk lint test-deps test clean bench-deps bench

install: $(REQ_STAMP) $(BUN_STAMP)

# The test suite's and the linters' tools, on top of the app's own pins.
install-dev: install $(DEV_STAMP)

$(PY):
	python3 -m venv $(VENV)

$(REQ_STAMP): | $(PY)
	$(PY) -m pip install -q --disable-pip-version-check -r requirements.txt
	rm -f $(VENV)/.requirements-* && touch $@

$(DEV_STAMP): $(REQ_STAMP)
	$(PY) -m pip install -q --disable-pip-version-check -r requirements-dev.txt
	rm -f $(VENV)/.dev-requirements-* && touch $@

$(BUN_STAMP):
	npm install --prefix $(BUN_DIR) --no-fund --no-audit bun@$(BUN_VERSION)
	$(BUN_DIR)/node_modules/.bin/bun --version
	touch $@

# Reflex rewrites reflex.lock/package.json as it starts: the committed one comes back on exit.
run: install
	$(PY) -m mfa_app.store.migrate
	trap 'git checkout -q -- reflex.lock 2>/dev/null || true' EXIT; $(VENV)/bin/reflex run $(RUN_ARGS)

# The example host (examples/host_app): its own users, mfa_app mounted under /settings/security,
# all its data under EXAMPLE_DATA_DIR. mfa_app is imported from this checkout.
EXAMPLE_DATA_DIR ?= $(CURDIR)/.data/example
example: install
	cd examples/host_app && EXAMPLE_DATA_DIR=$(abspath $(EXAMPLE_DATA_DIR)) PYTHONPATH=$(CURDIR) \
		$(CURDIR)/$(VENV)/bin/reflex run $(RUN_ARGS)

# The example host on Clerk's users (examples/clerk_host): CLERK_SECRET_KEY, CLERK_JWT_KEY and
# CLERK_PUBLISHABLE_KEY of a Clerk development instance from the environment (docs/clerk.md);
# PyJWT (the `clerk` extra) comes with the development dependencies.
example-clerk: install-dev
	cd examples/clerk_host && MFA_DATA_DIR=$(abspath $(EXAMPLE_DATA_DIR))-clerk \
		MFA_DATABASE_URL=sqlite:///$(abspath $(EXAMPLE_DATA_DIR))-clerk/mfa.db PYTHONPATH=$(CURDIR) \
		$(CURDIR)/$(VENV)/bin/reflex run $(RUN_ARGS)

$(AXE_STAMP):
	npm ci --prefix $(BROWSER_NPM) --no-fund --no-audit
	rm -f $(BROWSER_NPM)/node_modules/.installed-* && touch $@

# From Debian, only when missing: Chromium for the browser tests; PostgreSQL and Redis for the
# scale-out run (the tests start their own servers on free loopback ports, never the system's).
test-deps: install-dev $(AXE_STAMP)
	@missing=""; \
	[ -x /usr/bin/chromium ] || missing="$$missing chromium"; \
	ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || missing="$$missing postgresql"; \
	command -v redis-server >/dev/null 2>&1 || [ -x /usr/bin/redis-server ] || missing="$$missing redis-server"; \
	[ -z "$$missing" ] || $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y $$missing \
		|| { $(SUDO) apt-get update && $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y $$missing; }

# The whole suite on SQLite, then everything that touches the database again on PostgreSQL, with
# the browser tests on `reflex run --env prod` + Redis + several workers (see tests/conftest.py).
# Both runs always run; the coverage printed last covers both. `make test TEST_DBS=sqlite` for one.
TEST_DBS ?= sqlite postgres
test: test-deps
	@status=0; cov=""; for db in $(TEST_DBS); do \
		echo "=== pytest --db $$db"; start=$$(date +%s); \
		$(PY) -m pytest --db $$db $$cov $(PYTEST_ARGS); rc=$$?; \
		echo "=== pytest --db $$db: exit $$rc in $$(( $$(date +%s) - start )) s"; \
		[ $$rc -eq 0 ] || [ $$rc -eq 5 ] || status=$$rc; cov="--cov-append"; \
	done; exit $$status

# ruff (check and format) and mypy, configured in pyproject.toml; .ci/run runs it before the tests.
lint: install-dev
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy

# Benchmarks (bench/): `make bench`, or `make bench QUICK=1` (under 3 minutes). Their own
# dependencies (the peer, gunicorn, matplotlib, py-spy) go into a venv of their own that sees
# .venv's packages through a .pth file, with the app's pins as constraints: .venv, which the app
# and the tests run from, never gets them (gunicorn there would change how Reflex serves prod).
BENCH_VENV  := .venv-bench
BENCH_PY    := $(BENCH_VENV)/bin/python
BENCH_STAMP := $(BENCH_VENV)/.bench-requirements-$(shell sha256sum bench/requirements.txt requirements.txt requirements-dev.txt | sha256sum | cut -c1-16)
BENCH_ARGS  := $(if $(filter 1 yes true,$(QUICK)),--quick) $(if $(filter 0 no false,$(SCALEOUT)),--no-scaleout)

$(BENCH_STAMP): $(DEV_STAMP)
	$(PY) -m venv $(BENCH_VENV)
	$(PY) -c 'import sysconfig; print(sysconfig.get_path("purelib"))' \
		> $$($(BENCH_PY) -c 'import sysconfig; print(sysconfig.get_path("purelib"))')/app-venv.pth
	sed -e 's/\[[^]]*\]//' -e '/^-r /d' requirements.txt requirements-dev.txt > $(BENCH_VENV)/constraints.txt
	$(BENCH_PY) -m pip install -q --disable-pip-version-check -r bench/requirements.txt -c $(BENCH_VENV)/constraints.txt
	rm -f $(BENCH_VENV)/.bench-requirements-* && touch $@

bench-deps: install-dev $(BENCH_STAMP)
	@if [ "$(filter 0 no false,$(SCALEOUT))" = "" ] && ! { [ -x /usr/bin/redis-server ] && ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1; }; then \
		$(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y postgresql redis-server \
		|| { $(SUDO) apt-get update && $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y postgresql redis-server; } \
		|| echo "PostgreSQL/Redis not installed: the scale-out run will be skipped"; \
	fi

bench: bench-deps
	$(BENCH_PY) -m bench.run $(BENCH_ARGS) $(ARGS)

clean:
	rm -rf .web .states .data
