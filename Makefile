# Hawk Farm: the two commands are `make demo` and `make test`; both set up .venv themselves.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.hawk-installed

.PHONY: demo test test-security lint proto venv clean bench

# (Re)install only when the venv is missing or the project metadata changed; safe to run any number of times.
$(STAMP): pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

venv: $(STAMP)

demo: $(STAMP)
	$(VENV)/bin/hawk demo

test: $(STAMP)
	$(PY) -m ruff check .
	$(PY) -m pytest -q

# The security and chaos suite (tests/security, docs/security.md): hostile kernels, two tenants, fault injection
# and bad input on real agents. `make test` leaves it out (pyproject: norecursedirs); its summary (cases run,
# survived, escaped, records lost and duplicated) is printed at the end, and any escape, loss or duplicate fails.
SECURITY_SUMMARY ?= build/security-summary.json

test-security: $(STAMP)
	@rm -f $(SECURITY_SUMMARY)
	@HAWK_SECURITY_SUMMARY=$(SECURITY_SUMMARY) $(PY) -m pytest -q tests/security; rc=$$?; \
	  $(PY) -m tests.security.summary $(SECURITY_SUMMARY) || rc=1; exit $$rc

lint: $(STAMP)
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .

proto: $(STAMP)
	$(PY) scripts/gen_proto.py

bench: $(STAMP)
	@for b in benchmarks/*.py; do echo "== $$b"; $(PY) $$b || exit 1; done

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache
