# The two commands of the README.  Each installs what it needs first.
PYTHON ?= python3

.PHONY: book test bench
book:
	scripts/setup.sh
	$(PYTHON) -m bookmaker build .

test:
	scripts/setup.sh --test
	$(PYTHON) -m pytest

bench:
	scripts/setup.sh
	$(PYTHON) bench/bench.py
