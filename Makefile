# Parley's two commands: `make run` and `make test`. Everything they need is installed here.
SHELL := /bin/bash
export UV_PYTHON_DOWNLOADS := never
export UV_NO_PROGRESS := 1
# Compiled Python, written once: the tests start `parley serve` and the CLI hundreds of times,
# and a start that compiles every module from source takes 5 s instead of 2.
export UV_COMPILE_BYTECODE := 1
unexport PYTHONDONTWRITEBYTECODE

# uv from the PATH, or installed for this user with pip the first time.
UV := $(shell command -v uv 2>/dev/null || echo "python3 -m uv")
RUN := $(UV) run --frozen

.PHONY: run test setup python frontend browser office janus lint typecheck jstest pytest messages bench-hub bench-media bench-documents bench-reminders bench-sfu bench-meeting-page bench-bundle screenshots clean

run: setup ## Set everything up and serve Parley on the embedded default.
	$(RUN) parley db upgrade
	$(RUN) parley serve

test: setup browser office janus ## Install what tests need, then lint, type-check and run every test.
	$(MAKE) --no-print-directory lint typecheck jstest pytest

setup: python frontend

python: .venv/.synced
.venv/.synced: pyproject.toml uv.lock
	@command -v uv >/dev/null 2>&1 || python3 -m uv --version >/dev/null 2>&1 || python3 -m pip install --quiet --user uv
	$(UV) sync --frozen
	@touch $@

frontend: src/parley/static/dist/.built
# The browser's copy of the close codes and event kinds, generated from the Python source.
frontend/src/generated/protocol.js: .venv/.synced src/parley/codegen.py src/parley/sockets.py src/parley/meetings/events.py
	$(RUN) python -m parley.codegen
src/parley/static/dist/.built: package.json package-lock.json frontend/build.mjs frontend/src/generated/protocol.js $(shell find frontend/src -type f)
	npm ci --no-audit --no-fund --loglevel=error
	npm run --silent build
	@touch $@

# Debian's Chromium for the browser tests (Playwright cannot download its own here).
browser:
	@if ! command -v chromium >/dev/null 2>&1 || ! dpkg -s fonts-noto-color-emoji >/dev/null 2>&1; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends chromium fonts-dejavu-core fonts-noto-color-emoji; \
	  else echo "Chromium is missing: install Debian's 'chromium' package to run the browser tests." >&2; fi; \
	fi

# LibreOffice without its interface, to turn office documents into PDF (presentations).
office:
	@if ! command -v soffice >/dev/null 2>&1; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends libreoffice-impress-nogui libreoffice-writer-nogui; \
	  else echo "LibreOffice is missing: install Debian's libreoffice-impress-nogui and libreoffice-writer-nogui to convert office documents." >&2; fi; \
	fi

# Janus (the SFU) for the large-meeting tests, and iproute2 for their network namespaces.
janus:
	@if ! command -v janus >/dev/null 2>&1 || ! command -v ip >/dev/null 2>&1; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends janus iproute2; \
	  else echo "Janus is missing: install Debian's 'janus' and 'iproute2' packages to run the SFU tests." >&2; fi; \
	fi

# Python, then the browser code (eslint, and tsc over its JSDoc types).
lint:
	$(RUN) ruff format --check src tests bench
	$(RUN) ruff check src tests bench
	npm run --silent lint
	npm run --silent typecheck

typecheck:
	$(RUN) mypy

# The browser code's unit tests (frontend/test).
jstest:
	npm test

pytest:
	$(RUN) pytest $(PYTEST_ARGS)

# The meeting hub under load: 100, 500 and 1000 participants, embedded and over Redis.
bench-hub: setup
	ulimit -n 16384 && $(RUN) python bench/meeting_hub.py

# Peer-to-peer media: from pressing Join (and Share) to the first remote frame, real Chromium.
bench-media: setup browser
	$(RUN) python bench/media_join.py

# Documents: a 50-page PDF and a 30-slide .pptx to their first and last page, 50 people on the notes.
bench-documents: setup office
	$(RUN) python bench/documents.py

# Sessions: 10,000 sessions x 20 members reminded in the same minute, 1 and 4 workers.
bench-reminders: setup
	$(RUN) python bench/session_reminders.py

# Mesh against SFU: one publisher to 1, 3 and 6 subscribers, 3 all publishing (CPU, memory,
# first frame), real Chromium and Janus in a network namespace.
bench-sfu: setup browser janus
	$(RUN) python bench/sfu.py

# Pictures of the meeting room in each layout, desktop and phone, for docs/screenshots.
screenshots: setup browser
	$(RUN) python -m tests.browser.screenshots --out docs/screenshots

# The meeting page among 500 guests (joins, hands, chat at 20/s): time spent on each message
# and long tasks, measured inside a real Chromium page. Options: BENCH_ARGS="--database postgresql".
bench-meeting-page: setup browser
	ulimit -n 16384 && $(RUN) python bench/meeting_page.py $(BENCH_ARGS)

# What the meeting page loads (gzip, JS and CSS, against the budget) and the time to its Join button.
bench-bundle: setup browser
	$(RUN) python bench/bundle.py $(BENCH_ARGS)

# Refresh the catalogue from the code; translate the new entries in the .po file.
messages:
	@mkdir -p var
	$(RUN) pybabel extract -F babel.cfg -k N_ -k _ --no-location --sort-output -o var/messages.pot .
	$(RUN) pybabel update -i var/messages.pot -d src/parley/locale --omit-header --ignore-obsolete -w 100

clean:
	rm -rf .venv node_modules src/parley/static/dist .mypy_cache .ruff_cache .pytest_cache
