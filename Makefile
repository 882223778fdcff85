# lazycheck: two commands set everything up on a fresh machine:
#   make demo   install, then verify real targets
#   make test   install, then type-check, lint and run the test suite
PY ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

.PHONY: install demo test check pytest golden-update bench bench-scan fuzz-engines fuzz-scan \
	scan-golden-update ci clean mutants fuzz bench-smt symmetry-check corpus-engines

$(STAMP): pyproject.toml
	$(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[dev]'
	@touch $@

install: $(STAMP)

# A FAIL target exits 1 by design: the demo checks that each verdict is the expected one.
demo: install
	@$(BIN)/lazycheck verify xen-nesting-counter; rc=$$?; \
	  if [ $$rc -ne 1 ]; then echo "demo: expected FAIL (exit 1), got exit $$rc"; exit 1; fi
	@echo
	$(BIN)/lazycheck verify arm64-nested

check: install
	$(BIN)/mypy --strict lazycheck bench
	$(BIN)/ruff check lazycheck tests bench

# pytest exits 5 when it collected no test: that is a failure here, never a pass.
# TEST_JOBS pytest-xdist workers (CI has 2 cores; TEST_JOBS=0 runs in this process).
TEST_JOBS ?= 2
pytest: install
	@$(BIN)/python -m pytest -q -p no:cacheprovider -n $(TEST_JOBS) --dist worksteal; rc=$$?; \
	  if [ $$rc -eq 5 ]; then echo "make test: pytest collected no tests"; exit 1; fi; \
	  exit $$rc

test: check pytest

golden-update: install
	$(BIN)/python tests/update_golden.py

# SPIN is optional: installed where apt-get can (as root), else its columns say why.
bench: install
	@command -v spin >/dev/null 2>&1 || { [ "$$(id -u)" = 0 ] && apt-get install -y spin >/dev/null 2>&1; } \
	  || echo "bench: SPIN not installed and not installable here; the SPIN columns stay empty"
	$(BIN)/python bench/run.py
	$(BIN)/python bench/speed.py
	-$(BIN)/python bench/scan.py --jobs 2
	$(BIN)/python bench/symmetry.py
	@if $(BIN)/python -c "import numba" 2>/dev/null; then $(BIN)/python bench/compiled.py; \
	  else echo "bench: numba not installed (pip install -e '.[compiled]'); bench/compiled.py skipped"; fi

# symmetry reduction against the unreduced search on every claimed configuration of
# every target (the suite checks each target's own configuration)
symmetry-check: install
	LAZYCHECK_SYMMETRY_ALL=1 $(BIN)/python -m pytest -q -p no:cacheprovider tests/engines/test_symmetry.py

# lines of C per second of `lazycheck scan` on a synthetic >= 1M-line tree, 2 processes
bench-scan: install
	$(BIN)/python bench/scan.py --jobs 2

# >= 5,000 generated or mutated C inputs through the scanner (2 tests x 2,600)
fuzz-scan: install
	LAZYCHECK_FUZZ_EXAMPLES=2600 $(BIN)/python -m pytest -q -p no:cacheprovider tests/scan/test_scan_fuzz.py

scan-golden-update: install
	$(BIN)/python tests/scan/update_golden.py

# issue 12: bmc on FAIL targets, bmc --preemptions 2 and houdini proofs on PASS targets
bench-smt: install
	$(BIN)/python bench/smt.py --per-depth kasan-populate-no-pause-xen g3v4-xen-disable-while-paused \
	  xen-nesting-counter sparc64-g2-v2-2of7
	$(BIN)/python bench/smt.py
	$(BIN)/python bench/proofs.py
	$(BIN)/python bench/proofs.py --parametric --prove-budget 120

# both engines on every target (make test runs a third of them: tests/test_corpus_engines.py)
corpus-engines: install
	LAZYCHECK_ENGINES_ALL=1 $(BIN)/python -m pytest -q -p no:cacheprovider -n $(TEST_JOBS) \
	  tests/test_corpus_engines.py

fuzz-engines: install
	LAZYCHECK_FUZZ_EXAMPLES=2000 $(BIN)/python -m pytest -q -s tests/property

ci: install
	$(BIN)/lazycheck ci

# Mutation testing of the arch and API models (docs/mutants.md): long, run it in the background.
mutants: install
	$(BIN)/python tools/mutants.py --json mutants.json

# Grammar-aware fuzzing of lint, verify, ci and replay (>= 10,000 inputs; tools/fuzz.py).
fuzz: install
	$(BIN)/python tools/fuzz.py --inputs 10000

clean:
	rm -rf $(VENV) build *.egg-info .mypy_cache .ruff_cache .pytest_cache
