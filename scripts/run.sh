#!/usr/bin/env bash
# One entry point for the README's commands:
#   bash scripts/run.sh demo   set everything up on a fresh machine, then run the main job (lsnn demo)
#   bash scripts/run.sh test   set everything up, then run the whole test-suite
#   bash scripts/run.sh setup  only set up (.venv with the pinned dependencies, compilers)
# Set-up is idempotent: a second call reuses .venv unless pyproject.toml changed.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
VENV=${LSNN_VENV:-$ROOT/.venv}
export CYTHON_CACHE_DIR=${CYTHON_CACHE_DIR:-$ROOT/.cython_cache}
export MPLBACKEND=${MPLBACKEND:-Agg}

apt_install() {
  if command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
    echo "[setup] apt-get install $*"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@"
  else
    echo "[setup] please install: $* (Brian2 compiles C++ for the cython and cpp_standalone targets)" >&2
    exit 1
  fi
}

setup() {
  command -v g++ >/dev/null 2>&1 && command -v make >/dev/null 2>&1 || apt_install g++ make
  local py=${PYTHON:-}
  if [ -z "$py" ]; then
    for candidate in python3.11 python3; do
      if command -v "$candidate" >/dev/null 2>&1 && "$candidate" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))'; then
        py=$candidate; break
      fi
    done
  fi
  [ -n "$py" ] || apt_install python3.11 python3.11-venv python3.11-dev
  py=${py:-python3.11}
  local stamp="$VENV/.lsnn-installed-$(sha1sum pyproject.toml | cut -c1-12)"
  if [ ! -f "$stamp" ]; then
    [ -x "$VENV/bin/python" ] || "$py" -m venv "$VENV" || { apt_install python3.11-venv; "$py" -m venv "$VENV"; }
    echo "[setup] installing lsnn and its pinned dependencies into $VENV"
    "$VENV/bin/python" -m pip install -q --upgrade "pip>=23"
    "$VENV/bin/python" -m pip install -q -e ".[test]"
    rm -f "$VENV"/.lsnn-installed-*
    touch "$stamp"
  fi
}

cmd=${1:-test}
shift || true
case "$cmd" in
  setup) setup ;;
  demo)
    setup
    exec "$VENV/bin/lsnn" demo "$@" ;;
  test)
    setup
    rc=0
    "$VENV/bin/python" -m pytest "$@" || rc=$?
    if [ "$rc" = 5 ]; then echo "pytest collected no tests"; exit 0; fi
    exit "$rc" ;;
  *) echo "usage: bash scripts/run.sh {setup|demo|test} [args]" >&2; exit 2 ;;
esac
