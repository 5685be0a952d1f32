#!/usr/bin/env bash
# One entry point for the README's commands:
#   bash scripts/run.sh demo   set everything up on a fresh machine, then run the main job (lsnn demo)
#   bash scripts/run.sh test   set everything up, then run the whole test-suite
#   bash scripts/run.sh setup  only set up (.venv with the pinned dependencies, compilers)
#   bash scripts/run.sh setup-speech  also the speech synthesizers espeak-ng and flite (lsnn data synth-speech)
#   bash scripts/run.sh setup-genn / test-genn   the GeNN environment (.venv-genn, GeNN source in .genn/)
#                              alone, and the genn tests in it (CPU-only GeNN); `test` includes both
# Set-up is idempotent: a second call reuses .venv unless pyproject.toml changed (.venv-genn: unless
# environments/genn-requirements.txt changed).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
VENV=${LSNN_VENV:-$ROOT/.venv}
GENN_VENV=${LSNN_GENN_VENV:-$ROOT/.venv-genn}
# The GeNN 4.9.0 source (read-only is fine: it is copied): LSNN_GENN_SOURCE, else the team's shared/vendor
# folder beside the checkout or up to two levels above it.
GENN_SOURCE=${LSNN_GENN_SOURCE:-}
if [ -z "$GENN_SOURCE" ]; then
  for up in .. ../.. ../../..; do
    GENN_SOURCE=$ROOT/$up/shared/vendor/genn-4.9.0
    [ -f "$GENN_SOURCE/bin/genn-buildmodel.sh" ] && break
  done
fi
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

# Optional system packages, installed with apt-get where this runs as root (otherwise what needs them says so):
#   the speech synthesizers espeak-ng and flite (lsnn data synth-speech, the speech tests), and, for the tests only,
#   slurm-wlm and munge (the one-node SLURM cluster of tests/slurm_cluster.py). Missing ones make those tests skip.
apt_optional() {
  local missing=()
  for pair in "$@"; do command -v "${pair%%:*}" >/dev/null 2>&1 || missing+=("${pair#*:}"); done
  [ "${#missing[@]}" = 0 ] && return 0
  if command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
    echo "[setup] apt-get install ${missing[*]}"
    { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null; } \
      || echo "[setup] installing ${missing[*]} failed; what needs them skips or says so" >&2
  else
    echo "[setup] not installed (needs root apt-get): ${missing[*]}; what needs them skips or says so" >&2
  fi
}
setup_speech() { apt_optional espeak-ng:espeak-ng flite:flite; }
setup_test_tools() { setup_speech; apt_optional slurmctld:slurm-wlm munged:munge; }

# The GeNN environment of environments/genn.yml, with pip: its own venv (brian2genn 1.7 needs Brian2 2.5
# and numpy < 2) and a writable copy of the GeNN 4.9 source (GeNN builds its libraries into it). Exports
# GENN_PATH, LSNN_GENN_PYTHON and, unless set, LSNN_GENN_USE_GPU=0 (CPU-only GeNN). Without a GeNN
# source it says so and returns 1 (the genn tests then skip with that reason); 2 if installing failed.
setup_genn() {
  if [ -z "${GENN_PATH:-}" ]; then
    if [ ! -f "$GENN_SOURCE/bin/genn-buildmodel.sh" ]; then
      echo "[setup] GeNN: no GeNN 4.x source at $GENN_SOURCE (set LSNN_GENN_SOURCE or GENN_PATH); genn tests skip" >&2
      return 1
    fi
    local copy="$ROOT/.genn/$(basename "$GENN_SOURCE")"
    if [ ! -f "$copy/bin/genn-buildmodel.sh" ]; then
      echo "[setup] copying the GeNN source $GENN_SOURCE to $copy"
      rm -rf "$copy.tmp" && mkdir -p "$ROOT/.genn" && cp -r "$GENN_SOURCE" "$copy.tmp" && chmod -R u+w "$copy.tmp" && mv "$copy.tmp" "$copy"
    fi
    export GENN_PATH=$copy
  fi
  local stamp="$GENN_VENV/.lsnn-installed-$(cat environments/genn-requirements.txt pyproject.toml | sha1sum | cut -c1-12)"
  if [ ! -f "$stamp" ]; then
    echo "[setup] installing the GeNN environment (environments/genn-requirements.txt) into $GENN_VENV"
    rm -rf "$GENN_VENV"   # a fresh environment: pins changed under installed packages can leave stale caches
    "$VENV/bin/python" -m venv "$GENN_VENV" \
      && "$GENN_VENV/bin/python" -m pip install -q --upgrade "pip>=23" \
      && "$GENN_VENV/bin/python" -m pip install -q -r environments/genn-requirements.txt \
      && "$GENN_VENV/bin/python" -m pip install -q --no-deps -e . \
      || { echo "[setup] installing the GeNN environment failed" >&2; return 2; }
    rm -f "$GENN_VENV"/.lsnn-installed-*
    touch "$stamp"
  fi
  export LSNN_GENN_PYTHON=$GENN_VENV/bin/python
  export LSNN_GENN_USE_GPU=${LSNN_GENN_USE_GPU:-0}
}

# The tests that need the genn device, run in the GeNN environment (pytest -m genn).
test_genn() {
  local rc=0
  "$GENN_VENV/bin/python" -m pytest -m genn tests/models "$@" || rc=$?
  if [ "$rc" = 5 ]; then echo "pytest collected no genn tests"; return 0; fi
  return "$rc"
}

cmd=${1:-test}
shift || true
case "$cmd" in
  setup) setup ;;
  setup-speech)
    setup
    setup_speech ;;
  setup-genn)
    setup
    setup_genn || exit $? ;;
  test-genn)
    setup
    setup_genn || exit $?
    test_genn "$@" ;;
  demo)
    setup
    exec "$VENV/bin/lsnn" demo "$@" ;;
  test)
    setup
    setup_test_tools
    genn=0
    if [ "$#" = 0 ]; then   # the full suite includes the GeNN environment
      setup_genn && genn=1 || { status=$?; [ "$status" = 1 ] || exit "$status"; }
    fi
    rc=0
    "$VENV/bin/python" -m pytest "$@" || rc=$?
    if [ "$rc" = 5 ]; then echo "pytest collected no tests"; rc=0; fi
    if [ "$genn" = 1 ]; then
      echo "[test] the genn tests in the GeNN environment ($GENN_VENV, GENN_PATH=$GENN_PATH, LSNN_GENN_USE_GPU=$LSNN_GENN_USE_GPU)"
      test_genn || rc=$?
    fi
    exit "$rc" ;;
  *) echo "usage: bash scripts/run.sh {setup|demo|test|setup-speech|setup-genn|test-genn} [args]" >&2; exit 2 ;;
esac
