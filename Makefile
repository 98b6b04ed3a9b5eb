# The two commands of the README.  Each installs what it needs first;
# scripts/setup.sh writes the interpreter it installed into (the active
# virtualenv, or .venv/) to .tools/python.
PYTHON ?= python3
export PYTHON
PY = "$$(cat .tools/python)"

.PHONY: book test bench
book:
	scripts/setup.sh
	$(PY) -m bookmaker build .

test:
	scripts/setup.sh --test
	$(PY) -m pytest -n auto

bench:
	scripts/setup.sh
	@command -v pandoc >/dev/null || { s=$$([ "$$(id -u)" -eq 0 ] || echo sudo -n); \
	    $$s env DEBIAN_FRONTEND=noninteractive apt-get -qq update && \
	    $$s env DEBIAN_FRONTEND=noninteractive apt-get -y -qq install --no-install-recommends pandoc >/dev/null; } \
	  || echo "bench: could not install pandoc; its baselines are skipped" >&2
	$(PY) bench/bench.py --runs 3 --scale 20,50,160,200,320 --scale-runs 3 --bare 50,200
