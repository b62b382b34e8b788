# The README's two commands: `make run` and `make test`. Both install what they need first and are
# quick when nothing changed (the venv is rebuilt only when pyproject.toml or constraints.txt change).
SHELL := /bin/bash
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
export HF_HUB_OFFLINE := 1
export GRADIO_ANALYTICS_ENABLED := False
export ANONYMIZED_TELEMETRY := False

.PHONY: install run test eval system-deps corpus lock clean

install: $(STAMP)

$(STAMP): pyproject.toml constraints.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	# torch first and pinned to the CPU wheel this machine has, so nothing can pull a CUDA build.
	$(PY) -m pip install --quiet torch==2.13.0
	$(PY) -m pip install --quiet -c constraints.txt -e '.[dev]'
	touch $(STAMP)

# Debian packages the tests need: chromium for the browser tests (Playwright cannot download browsers
# here) and the DejaVu fonts the corpus PDFs are built with (the corpus test rebuilds them to compare).
SYSTEM_PACKAGES := chromium fonts-dejavu-core
system-deps:
	@dpkg -s $(SYSTEM_PACKAGES) >/dev/null 2>&1 || { apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(SYSTEM_PACKAGES); }

run: install
	$(VENV)/bin/klimawissen serve --index corpus/documents

test: install system-deps
	$(PY) -m pytest -q

# Retrieval quality and latency, ours vs. the baselines, written to docs/evaluation.{md,json}.
XQUAD ?= ../shared/eval-data/xquad-de-dev
eval: install
	$(VENV)/bin/klimawissen eval --xquad $(XQUAD) --command-line "make eval"

# Rebuild the corpus PDFs from corpus/pdf-sources/.
corpus: install system-deps
	$(PY) corpus/build_pdfs.py

# Refresh the pinned versions after changing dependencies in pyproject.toml.
lock:
	$(PY) -m pip freeze --exclude-editable | grep -v '^klimawissen' > constraints.txt

clean:
	rm -rf $(VENV) data
