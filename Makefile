# Entry points for people and CI. Everything a fresh Debian machine lacks is installed here.
SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
SERVICE ?= keystone
COLLECTION_LINK := $(VENV)/collections/ansible_collections/tcib/images
export ANSIBLE_CONFIG := $(CURDIR)/ansible.cfg

# The images CI builds and smoke-tests (the full tree is the benchmark's job).
CI_IMAGES ?= memcached,keystone,glance-api,nova-api,neutron-server
SMOKE_IMAGES ?= base,os,$(CI_IMAGES)
# The molecule scenarios CI runs (extensions/molecule/).
MOLECULE_SCENARIOS ?= default infra keystone controlplane network compute

.PHONY: build test unit lint sanity integration smoke molecule venv clean argument-specs constraints

build: venv ## Build the images of SERVICE and their parents
	$(VENV)/bin/ansible-playbook build.yml -e service=$(SERVICE)

venv: $(VENV)/.installed $(COLLECTION_LINK)

$(VENV)/.installed: requirements.txt constraints.txt
	@if ! python3 -m venv --help >/dev/null 2>&1 || ! command -v git >/dev/null; then \
		apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q python3-venv git; fi
	test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -r requirements.txt -c constraints.txt
	touch $@

$(COLLECTION_LINK):
	mkdir -p $(dir $@)
	ln -sfn ../../../.. $@

test: venv unit lint sanity integration smoke molecule ## The whole test suite

unit: venv
	$(PY) -m pytest -q tests/unit

lint: venv
	$(VENV)/bin/ansible-lint --profile production --offline

sanity: venv
	command -v shellcheck >/dev/null || { apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q shellcheck; }
	tests/sanity.sh

# tests/integration/test_updates.py makes, signs and serves a real apt repository;
# test_module_path reaches this host with OpenSSH's client (its server is the test's own, on 127.0.0.1).
integration: venv
	command -v apt-ftparchive >/dev/null && command -v gpg >/dev/null && command -v ssh >/dev/null || \
		{ apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
		apt-utils gnupg openssh-client; }
	$(PY) -m pytest -q -x tests/integration

smoke: venv ## Build the CI subset, then smoke-test it (SMOKE_IMAGES=all checks every built image)
	$(VENV)/bin/ansible-playbook build.yml -e service=$(CI_IMAGES)
	TCIB_SMOKE_IMAGES=$(SMOKE_IMAGES) $(PY) -m pytest -q tests/smoke

molecule: venv ## Molecule scenarios with testinfra verifiers
	for scenario in $(MOLECULE_SCENARIOS); do started=$$(date +%s); \
		PATH=$(CURDIR)/$(VENV)/bin:$$PATH $(VENV)/bin/molecule test -s $$scenario || exit 1; \
		echo "molecule scenario $$scenario passed in $$(( $$(date +%s) - started )) s"; done

# The containerfile role's tcib_* options, from the schema in plugins/module_utils/variables.py.
argument-specs: venv
	$(PY) tests/argument_specs.py

# The versions of the virtualenv, as CI tested them, for `make venv` (after changing requirements.txt, or to
# move to newer versions: pip install --upgrade in the virtualenv, test, then this).
constraints: venv
	$(PY) tests/constraints.py > constraints.txt

clean:
	rm -rf $(VENV)
