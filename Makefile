# Two commands on a fresh machine: `make demo` and `make test`.
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: venv demo test lint bench lab clean

$(STAMP): pyproject.toml
	@command -v uv >/dev/null 2>&1 || python3 -m pip install --quiet uv
	uv venv --quiet --allow-existing -p python3 $(VENV)
	uv pip install --quiet -p $(PY) -e '.[dev]'
	$(PY) -m ipykernel install --sys-prefix --name python3 --display-name "Python 3 (mlops-jupyter)" >/dev/null
	@touch $(STAMP)

venv: $(STAMP)

demo: $(STAMP)
	$(PY) scripts/demo.py

test: $(STAMP)
	$(PY) -m pytest -q -p no:cacheprovider

lint: $(STAMP)
	$(VENV)/bin/ruff check mlops_jupyter tests benchmarks scripts

bench: $(STAMP)
	$(PY) benchmarks/run_all.py

lab: $(STAMP)
	$(VENV)/bin/jupyter lab example_notebooks

clean:
	rm -rf $(VENV) .mlops benchmarks/_work
