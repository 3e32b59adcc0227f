#!/usr/bin/env bash
# Installs everything SIMS-VSI needs on a fresh Debian/Ubuntu machine: system libraries for
# headless EGL rendering and the furniture models (apt, as root or via sudo), then a virtual
# environment in .venv with the project and its extras. Safe to rerun.
set -euo pipefail
cd "$(dirname "$0")/.."

APT_PACKAGES="libegl1 libgl1 libegl-mesa0 libgl1-mesa-dri sweethome3d-furniture"
missing=""
for p in $APT_PACKAGES; do dpkg -s "$p" >/dev/null 2>&1 || missing="$missing $p"; done
if [ -n "$missing" ]; then
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  echo "installing system packages:$missing"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends $missing >/dev/null
fi

PY=${PYTHON:-python3}
[ -x .venv/bin/python ] || "$PY" -m venv .venv
stamp=.venv/.installed-$(cat setup.cfg pyproject.toml | sha1sum | cut -c1-12)
if [ ! -f "$stamp" ]; then
  .venv/bin/pip install -q --upgrade pip
  .venv/bin/pip install -q -e ".[builder,hub,dev]"
  rm -f .venv/.installed-*; touch "$stamp"
fi
