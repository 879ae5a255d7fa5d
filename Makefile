# The two set-up commands are `make demo` and `make test`; everything else is a building block.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
COLLECTION_LINK := collections/ansible_collections/fanout/docker
STAMP := $(VENV)/.installed
# Quality tools (sanity, lint, docs, packaging, AWX runner) live apart from the runtime venv.
QA_VENV := .venv-qa
QA_STAMP := $(QA_VENV)/.installed

.PHONY: install qa-install engine fixtures lab-up lab-down demo test unit integration bench clean

install: $(STAMP) $(COLLECTION_LINK)

qa-install: $(QA_STAMP)

$(QA_STAMP): requirements.txt tests/requirements-qa.txt
	test -x $(QA_VENV)/bin/python || $(PYTHON) -m venv $(QA_VENV)
	$(QA_VENV)/bin/pip install -q --disable-pip-version-check -r tests/requirements-qa.txt
	# ansible-test's shellcheck sanity test needs Debian's shellcheck (root only; skipped otherwise).
	command -v shellcheck >/dev/null || [ "$$(id -u)" != 0 ] || apt-get install -y -qq shellcheck >/dev/null || true
	touch $@

$(STAMP): requirements.txt tests/requirements.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --disable-pip-version-check -r tests/requirements.txt
	touch $@

# ansible.cfg points collections_path at ./collections, so this link makes fanout.docker
# resolvable for .venv/bin/ansible-playbook and .venv/bin/ansible run from the checkout.
$(COLLECTION_LINK):
	mkdir -p $(dir $@)
	ln -sfn ../../.. $@

engine:
	tests/lab/engine.sh

fixtures: engine
	tests/lab/build-image.sh

demo: install fixtures
	tests/lab/demo.sh

test: install qa-install fixtures
	$(BIN)/python -m pytest -ra --durations=15 tests

unit: install
	$(BIN)/python -m pytest -ra tests/unit

integration: install fixtures
	$(BIN)/python -m pytest -ra tests/integration

# Side-by-side benchmarks on dedicated lab engines (not part of test); tables in benchmarks/results/.
bench: install fixtures
	benchmarks/run.sh

lab-down: install
	$(BIN)/python -m tests.lab down --all

clean:
	rm -rf $(VENV) $(QA_VENV) collections .pytest_cache
