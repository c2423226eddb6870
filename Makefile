# Two commands matter: `make demo` and `make test`. Everything else is a step they build on.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin

.PHONY: demo test setup lint typecheck layers pytest pytest-postgres serve worker bench clean browser

$(BIN)/.installed: requirements/base.txt requirements/dev.txt pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade "pip==25.3"
	$(BIN)/pip install --quiet -r requirements/dev.txt
	$(BIN)/pip install --quiet --no-deps --no-build-isolation -e .
	touch $@

setup: $(BIN)/.installed

# Headless Chromium for the browser tests and poppler's pdftoppm to look at rendered PDFs, from Debian's packages
# (needs root or an existing install).
browser:
	@{ command -v chromium && command -v pdftoppm; } >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ]; then { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium poppler-utils >/dev/null; } \
	    || echo "could not install chromium and poppler-utils: browser and PDF image tests will be skipped"; \
	  else echo "chromium or poppler-utils is missing: their tests will be skipped (apt-get install chromium poppler-utils)"; fi; }

# The worker (its mail goes to var/mail) and the inbound mail listener run beside the web server and stop with it.
demo: setup
	$(BIN)/towers migrate --no-input
	$(BIN)/towers demo --size small
	EMAIL_BACKEND=django.core.mail.backends.filebased.EmailBackend $(BIN)/towers worker --verbosity 0 & \
	  worker=$$!; $(BIN)/towers mail listen --bind 127.0.0.1:8025 & \
	  listener=$$!; trap 'kill $$worker $$listener 2>/dev/null' EXIT INT TERM; \
	  $(BIN)/towers serve --bind 127.0.0.1:8000

lint: setup
	$(BIN)/ruff check towers bench
	$(BIN)/ruff format --check towers bench

typecheck: setup
	$(BIN)/mypy towers

layers: setup
	$(BIN)/lint-imports

pytest: setup browser
	$(BIN)/pytest -n 2 --dist loadfile

test: lint typecheck layers pytest

# The suite again on PostgreSQL (DATABASE_URL defaults to the local `test` database).
pytest-postgres: setup browser
	DATABASE_URL=$${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/test} $(BIN)/pytest -n 2 --dist loadfile

serve: setup
	$(BIN)/towers serve

worker: setup
	$(BIN)/towers worker

bench: setup
	$(BIN)/python -m bench.audit
	$(BIN)/python -m bench.visibility
	$(BIN)/python -m bench.sla
	$(BIN)/python -m bench.cmdb --reuse
	$(BIN)/python -m bench.servicedesk --reuse
	$(BIN)/python -m bench.reporting --reuse
	$(BIN)/python -m bench.soc_intake
	$(BIN)/python -m bench.integration
	$(BIN)/python -m bench.soc

clean:
	rm -rf $(VENV) var
