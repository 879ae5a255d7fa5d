# The two set-up commands are `make demo` and `make test`; everything else is a building block.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
COLLECTION_LINK := collections/ansible_collections/fanout/docker
STAMP := $(VENV)/.installed

.PHONY: install engine fixtures lab-up lab-down demo test unit integration clean

install: $(STAMP) $(COLLECTION_LINK)

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

test: install fixtures
	$(BIN)/python -m pytest -ra tests

unit: install
	$(BIN)/python -m pytest -ra tests/unit

integration: install fixtures
	$(BIN)/python -m pytest -ra tests/integration

lab-down: install
	$(BIN)/python -m tests.lab down --all

clean:
	rm -rf $(VENV) collections .pytest_cache
