# Two commands for a newcomer: `make demo` and `make test`.
# Everything is installed from this repo's own files: uv (pinned) into .tools/,
# then the locked dependencies (uv.lock) into .venv/. No Python download, no global installs.
export UV_PYTHON_DOWNLOADS := never
UV := .tools/bin/uv
PY := .venv/bin/python

.PHONY: demo test lint format bench install system

install: .venv/.synced

$(UV):
	python3 -m venv .tools
	.tools/bin/pip install --quiet uv==0.13.8

.venv/.synced: pyproject.toml uv.lock | $(UV)
	$(UV) sync --frozen --quiet
	touch $@

demo: install  ## start the emulator, backfill a year into DuckDB, sync, transform, show status
	.venv/bin/boxevents demo

test: install system  ## the whole test suite (the same command CI runs)
	.venv/bin/pytest -n 2

lint: install
	.venv/bin/ruff check .
	.venv/bin/ruff format --check .

format: install
	.venv/bin/ruff format .
	.venv/bin/ruff check --fix .

bench: install  ## every benchmark in bench/ (minutes; prints the README table)
	$(PY) -m bench

# Debian packages the tests run for real: PostgreSQL (a throwaway server), systemd-analyze (the
# units in deploy/ are verified), flock (the cron line), headless Chromium and its WebDriver (the
# report and the dashboard are looked at in a real browser), Java 17 (Spark runs the dbt models).
# Installed only where missing, by `make test` itself (a fresh machine lacks Chromium: without it
# the browser tests fail at setup); through sudo when not root.
SYSTEM_PACKAGES := postgresql systemd util-linux chromium chromium-driver openjdk-17-jre-headless
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
system:
	@missing=""; for p in $(SYSTEM_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then echo "installing Debian packages the tests need:$$missing"; \
	$(SUDO) apt-get update -qq && $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing; fi
