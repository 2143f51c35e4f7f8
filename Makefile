# Two commands on a fresh machine: `make run` and `make test`. Every install step lives here, and
# every environment installs exactly the versions of a committed, hash-pinned lock (requirements/).
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
DEV_STAMP := $(VENV)/.installed-dev
# uv installs and locks every environment (seconds where pip takes minutes); it lives in a
# virtualenv of its own, installed by pip from its hash-pinned lock.
UV_VENV := .uv
UV      := $(UV_VENV)/bin/uv
# Label Studio pins many Django packages: it gets a virtualenv of its own.
LS_VENV := .venv-labelstudio
LS_LOCK := curate/labelstudio/requirements.txt
# Label Studio's database with every migration applied and no user in it: the tests' server
# starts from a copy (5 s instead of 45 s of migrations on a fresh database).
LS_MIGRATED := $(LS_VENV)/migrated/label_studio.sqlite3
# Each lock's extras: run.txt has none, dev.txt has every extra and the dev tools (what the
# tests install); the one-extra locks take their versions from dev.txt, so every environment is
# a part of the tested one.
EXTRAS := postgres quality ray

.PHONY: run test pytest lint lock install dev $(EXTRAS) debian labelstudio clean

$(UV): requirements/uv.txt
	test -x $(UV_VENV)/bin/python || $(PYTHON) -m venv $(UV_VENV)
	$(UV_VENV)/bin/python -m pip install --quiet --no-deps --require-hashes -r requirements/uv.txt
	touch $@

UV_INSTALL := --quiet --require-hashes
# The tests start hundreds of Python processes: their environments get bytecode compiled at
# install time, as pip does (uv does not by default); where PYTHONDONTWRITEBYTECODE is set, each
# process would otherwise compile every module it imports. `make run` starts three: compiling
# all of .venv would cost it more than it saves.
COMPILED := --compile-bytecode

# .venv holds exactly lock $(1) (anything else is removed), then curate itself, editable, built
# by the locked setuptools; $(2): extra uv options.
define sync_curate
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(UV) pip sync $(UV_INSTALL) $(2) --python $(BIN)/python $(1)
	$(UV) pip install --quiet --python $(BIN)/python --no-deps --no-build-isolation -e .
endef

# What `make run` needs: curate and the spaCy pipeline, no optional extra.
$(STAMP): requirements/run.txt | $(UV)
	$(call sync_curate,requirements/run.txt)
	touch $@

install: $(STAMP)

# What the tests need: the dev tools and every extra. It holds everything `make run` needs too.
$(DEV_STAMP): requirements/dev.txt | $(UV)
	$(call sync_curate,requirements/dev.txt,$(COMPILED))
	$(BIN)/python -m compileall -q curate tui tests
	touch $(STAMP) $@

dev: $(DEV_STAMP)

# One optional extra on top of `make install`: `make postgres`, `make quality`, `make ray`.
$(EXTRAS): %: $(VENV)/.installed-%
$(VENV)/.installed-%: requirements/%.txt $(STAMP)
	$(UV) pip install $(UV_INSTALL) --python $(BIN)/python -r $<
	touch $@

## lock: regenerate every lock from pyproject.toml and requirements/*.in, keeping the pinned
## versions that still fit (`make lock UPGRADE=--upgrade` takes the newest that fit)
LOCK_WITH = $(UV) pip compile --quiet --generate-hashes --python-version 3.11 $(UPGRADE)
lock: $(UV)
	$(LOCK_WITH) --all-extras pyproject.toml requirements/build.in requirements/spacy-model.in \
		-o requirements/dev.txt
	$(LOCK_WITH) pyproject.toml requirements/build.in requirements/spacy-model.in \
		-c requirements/dev.txt -o requirements/run.txt
	for extra in $(EXTRAS); do \
		$(LOCK_WITH) --extra $$extra pyproject.toml requirements/build.in \
			requirements/spacy-model.in -c requirements/dev.txt -o requirements/$$extra.txt \
			|| exit 1; \
	done
	$(LOCK_WITH) requirements/labelstudio.in -o $(LS_LOCK)
	$(LOCK_WITH) requirements/uv.in -o requirements/uv.txt

## run: set up if needed, ingest seeds/, pre-label, then open the annotator on a terminal
## (the first annotator in curate.toml, or ANNOTATOR=name), else show the status table
ANNOTATOR ?= $(shell sed -n '/^\[\[annotators\]\]/,/^name/s/^name = "\(.*\)"/\1/p' curate.toml | head -1)
run: install
	$(BIN)/curate ingest seeds/
	$(BIN)/curate prelabel
	if [ -t 0 ] && [ -t 1 ]; then $(BIN)/curate annotate --as $(ANNOTATOR); else $(BIN)/curate status; fi

## test: install what the tests need (the dev tools and extras, PostgreSQL, Label Studio,
## Chromium, tmux), then lint and type-check beside pytest on both cores (tests sharing a real
## server run on one worker; they wait on it, which leaves room for the linters), with the
## slowest tests listed at the end; it fails when either fails
test:
	$(MAKE) --no-print-directory -j3 dev debian labelstudio
	$(MAKE) --no-print-directory -j2 lint pytest

pytest: dev
	$(BIN)/pytest -n 2 --dist loadgroup --durations=25

lint: dev
	$(BIN)/python scripts/check_locks.py
	$(BIN)/lint-imports --no-cache
	$(BIN)/ruff check curate tui tests bench scripts
	$(BIN)/ruff format --check curate tui tests bench scripts
	$(BIN)/mypy

# One apt-get run for what is missing: PostgreSQL (unless CURATE_TEST_PG_URL names a running
# server), Debian's Chromium for the browser test (Playwright drives it; browser downloads do not
# work here), tmux for the terminal UI's smoke tests.
debian:
	bash scripts/ensure-debian-package.sh \
		$(if $(CURATE_TEST_PG_URL),,postgresql 'compgen -G "/usr/lib/postgresql/*/bin/initdb"') \
		chromium 'command -v chromium' tmux 'command -v tmux'

labelstudio: $(LS_MIGRATED)

$(LS_VENV)/bin/label-studio: $(LS_LOCK) | $(UV)
	test -x $(LS_VENV)/bin/python || $(PYTHON) -m venv $(LS_VENV)
	$(UV) pip sync $(UV_INSTALL) $(COMPILED) --python $(LS_VENV)/bin/python $(LS_LOCK)
	touch $@

# `label-studio version` applies the migrations and makes no user (the tests' server makes its
# admin with a token of its own on first start), in the environment every Label Studio process
# gets. Made aside, then moved: never half made.
$(LS_MIGRATED): $(LS_VENV)/bin/label-studio
	rm -rf $(LS_VENV)/migrating
	$(PYTHON) curate/labelstudio/environment.py $(LS_VENV)/migrating $(LS_VENV)/bin/label-studio \
		version --data-dir $(abspath $(LS_VENV))/migrating \
		> $(LS_VENV)/migrating.log 2>&1 || { cat $(LS_VENV)/migrating.log; exit 1; }
	mkdir -p $(dir $@)
	mv $(LS_VENV)/migrating/label_studio.sqlite3 $@
	rm -rf $(LS_VENV)/migrating $(LS_VENV)/migrating.log

clean:
	rm -rf $(VENV) $(LS_VENV) $(UV_VENV) .curate .pytest_cache .mypy_cache .ruff_cache
