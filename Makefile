# Every target sets itself up: a .venv with the package installed editable,
# re-installed whenever pyproject.toml changes, and Graphviz's `dot` where missing.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: test demo bench fuzz notebooks docs docs-serve lint loc dot chromium clean test-interop

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

dot:
	@bash scripts/install-graphviz.sh

chromium:  ## Debian's headless chromium and chromedriver, for the site's browser test
	@bash scripts/install-chromium.sh

test: $(STAMP) dot chromium  ## the full suite, notebooks and the docs site included (CI's command)
	# One BLAS thread: the suite's matrices are small, and two threads on two busy cores only
	# contend (the library itself leaves threading to numpy).
	OPENBLAS_NUM_THREADS=1 MPLBACKEND=Agg $(BIN)/python -m pytest -q

# optim helper (issue 19 item 3): PyTorch is an optional test dependency, installed here only.
test-interop: $(STAMP)  ## install PyTorch 2.13 into the venv; run the nn.to_torch/from_torch tests
	$(BIN)/python -m pip install --quiet torch==2.13.0
	OPENBLAS_NUM_THREADS=1 $(BIN)/python -m pytest -q tests/nn/test_interop.py \
		tests/nn/test_interop_without_torch.py

# Without Graphviz (not installable here) the demo still trains and writes DOT sources. One BLAS
# thread: the demo's matrices are small; measured 1.3 s against 2.7 s with OpenBLAS's default.
demo: $(STAMP)  ## train an MLP on digits and draw its graphs into demo-output/
	@bash scripts/install-graphviz.sh || echo "make demo: going on without Graphviz" >&2
	OPENBLAS_NUM_THREADS=1 $(BIN)/python -m nn.demo --out demo-output

# The site: README, docs, API reference and every notebook executed, built strict into site/.
docs: $(STAMP) dot  ## build the documentation site offline into site/
	OPENBLAS_NUM_THREADS=1 $(BIN)/python scripts/build_site.py

docs-serve: $(STAMP) dot  ## build the site and serve it on http://127.0.0.1:8000/
	OPENBLAS_NUM_THREADS=1 $(BIN)/python scripts/build_site.py --serve

bench: $(STAMP) dot  ## speed and memory against the numpy floor
	$(BIN)/python -m benchmarks

# The slow marker: the random-program gradient fuzzer with a larger budget, and 150 kills per
# checkpoint format at random moments of a save (TRACEGRAD_KILL_ROUNDS changes the number).
fuzz: $(STAMP)  ## the gradient fuzzer and the checkpoint kill test at full size
	$(BIN)/python -m pytest -q -m slow tests

notebooks: $(STAMP) dot
	$(BIN)/python -m pip install --quiet notebook
	$(BIN)/jupyter notebook notebooks/

lint: $(STAMP)
	$(BIN)/ruff check autograd nn optim tests benchmarks

loc:  ## lines of code per module, docstrings excluded
	$(PYTHON) .ci/loc.py autograd nn optim

clean:
	rm -rf $(VENV) demo-output .pytest_cache .hypothesis build site
