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
	@command -v pandoc >/dev/null || { s=$$([ "$$(id -u)" -eq 0 ] || echo sudo -n); \
	    $$s env DEBIAN_FRONTEND=noninteractive apt-get -qq update && \
	    $$s env DEBIAN_FRONTEND=noninteractive apt-get -y -qq install --no-install-recommends pandoc >/dev/null; } \
	  || echo "bench: could not install pandoc; its baselines are skipped" >&2
	$(PYTHON) bench/bench.py
