# lstm97: every target builds its own virtual environment first (.venv), so each works on a fresh clone.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
EXPERIMENTS := exp1 exp2 exp3 exp4 exp5 exp6
QUICK ?=
WORKERS ?=
RUN_FLAGS := $(if $(QUICK),--quick) $(if $(WORKERS),--workers $(WORKERS))
RESULTS := $(if $(QUICK),results/quick,results)

.PHONY: help all test tables figures bench compare cerg readings clean $(EXPERIMENTS)
.DEFAULT_GOAL := help

# make (or make help): every target, one line each
help:
	@echo "make exp1 … exp6   train one experiment, then its tables and figures (QUICK=1: minutes; WORKERS=N)"
	@echo "make all           every experiment exp1-exp6, with the wall time of each (QUICK=1, WORKERS=N)"
	@echo "make compare       beyond the paper: every cell on every LSTM row, then cerg (QUICK=1)"
	@echo "make cerg          the continual embedded Reber grammar, Gers et al. 2000 (QUICK=1, CERG_FLAGS=...)"
	@echo 'make readings      ROW="exp4 T=100": one paper row under each reading of its grid (ONLY=, SEED=, TRIALS=, QUICK=1)'
	@echo "make bench         trial-steps per second of the trainer into results/bench (about 5 min)"
	@echo "make test          the test suite (pytest)"
	@echo "make tables        rebuild every summary table from the committed trials.csv (no training)"
	@echo "make figures       rebuild the tables and figures from the committed trials.csv (no training)"
	@echo "make clean         remove .venv, results/quick and .pytest_cache"
	@echo "make help          this list; python -m lstm97 --help explains the command line"
	@echo "(every target but help and clean first builds .venv; QUICK=1 reads and writes results/quick)"

$(STAMP): pyproject.toml constraints.txt lstm97/__init__.py
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -c constraints.txt -e '.[test]'
	touch $(STAMP)

# make exp2 [QUICK=1] [WORKERS=N]: train, then rebuild the tables and figures of that experiment
$(EXPERIMENTS): $(STAMP)
	$(BIN)/python -m lstm97 run $@ $(RUN_FLAGS)

# every experiment that exists so far, with the wall time of each at the end
all: $(STAMP)
	@times=""; for e in $(EXPERIMENTS); do \
		start=$$(date +%s); $(BIN)/python -m lstm97 run $$e $(RUN_FLAGS) || exit $$?; \
		times="$$times\n  $$e: $$(( $$(date +%s) - start )) s"; done; \
		printf "wall time per experiment:$$times\n"

# beyond the paper: every cell on every LSTM row, then the continual Reber grammar (issue 6);
# QUICK=1: the paper's rate only, small budgets
compare: $(STAMP)
	$(BIN)/python -m lstm97 run compare $(RUN_FLAGS)
	$(BIN)/python -m lstm97 run cerg $(if $(QUICK),--quick) $(CERG_FLAGS)

# the forget gate's own experiment (Gers et al. 2000, Table 2) at their scale (100 nets a row: far more than
# this 2-core machine does in a session); QUICK=1: about a minute; the committed table:
# make cerg CERG_FLAGS="--trials 10 --ticks 5000000" (about 26 min here)
CERG_FLAGS ?=
cerg: $(STAMP)
	$(BIN)/python -m lstm97 run cerg $(if $(QUICK),--quick) $(CERG_FLAGS)

# make readings ROW="exp4 T=100" [ONLY=marked_first=kept] [SEED=S] [TRIALS=K] [QUICK=1] [WORKERS=N]: one paper
# row under each reading of its experiment's grid (READINGS in experiments/expN.py) on seed 1 by default, into
# results/readings/ (QUICK=1: results/quick/readings/); confirm a reading picked there with SEED=0 ONLY=<it>
ROW ?=
ONLY ?=
SEED ?=
TRIALS ?=
readings: $(STAMP)
	@if [ -z "$(ROW)" ]; then echo 'make readings: give ROW="<experiment> <label>", e.g. ROW="exp4 T=100"' >&2; exit 2; fi
	$(BIN)/python -m lstm97 readings "$(ROW)" $(RUN_FLAGS) $(if $(ONLY),--only "$(ONLY)") \
		$(if $(SEED),--seed $(SEED)) $(if $(TRIALS),--trials $(TRIALS))

# trial-steps per second of the trainer on the paper's nets, before and after: results/bench/ (about 5 min)
bench: $(STAMP)
	$(BIN)/python -m lstm97 bench suite --out results/bench

test: $(STAMP)
	$(BIN)/python -m pytest -q

# from the committed per-trial rows only (no training)
# (experiments without results yet are skipped with a note)
tables: $(STAMP)
	@for e in $(EXPERIMENTS); do if [ -f $(RESULTS)/$$e/trials.csv ]; then \
		$(BIN)/python -m lstm97 report $$e --out $(RESULTS) --no-figures || exit $$?; \
		else echo "$$e: no $(RESULTS)/$$e/trials.csv yet (make $$e)"; fi; done
	@if [ -f $(RESULTS)/compare/trials.csv ]; then \
		$(BIN)/python -m lstm97 report compare --out $(RESULTS) --no-figures || exit $$?; fi
	@if [ -f $(RESULTS)/cerg/trials.csv ]; then $(BIN)/python -m lstm97 report cerg --out $(RESULTS); fi

figures: $(STAMP)
	@for e in $(EXPERIMENTS); do if [ -f $(RESULTS)/$$e/trials.csv ]; then \
		$(BIN)/python -m lstm97 report $$e --out $(RESULTS) || exit $$?; \
		else echo "$$e: no $(RESULTS)/$$e/trials.csv yet (make $$e)"; fi; done
	@if [ -f $(RESULTS)/compare/trials.csv ]; then $(BIN)/python -m lstm97 report compare --out $(RESULTS) || exit $$?; fi

clean:
	rm -rf $(VENV) results/quick .pytest_cache
