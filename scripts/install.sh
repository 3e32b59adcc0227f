#!/usr/bin/env bash
# Installs everything SIMS-VSI needs on a fresh Debian/Ubuntu machine: system libraries for
# headless EGL rendering and the furniture models (apt, as root or via sudo), then a virtual
# environment in .venv with the project and its extras. Safe to rerun.
set -euo pipefail
cd "$(dirname "$0")/.."

APT_PACKAGES="libegl1 libgl1 libegl-mesa0 libgl1-mesa-dri sweethome3d-furniture"
# FFmpeg 5 runtime (Debian 12 names) for torchcodec 0.13, which `datasets` decodes videos with;
# elsewhere install your distribution's FFmpeg 4-7 libraries instead
FFMPEG_PACKAGES="libavcodec59 libavformat59 libavutil57 libswscale6 libswresample4 libavdevice59 libavfilter8"
missing=""
for p in $APT_PACKAGES $FFMPEG_PACKAGES; do dpkg -s "$p" >/dev/null 2>&1 || missing="$missing $p"; done
if [ -n "$missing" ]; then
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  echo "installing system packages:$missing"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends $APT_PACKAGES >/dev/null
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends $FFMPEG_PACKAGES >/dev/null \
    || echo "warning: FFmpeg 5 libraries not found; decoding videos through datasets/torchcodec will not work"
fi

PY=${PYTHON:-python3}
[ -x .venv/bin/python ] || "$PY" -m venv .venv
stamp=.venv/.installed-$(cat setup.cfg pyproject.toml scripts/install.sh | sha1sum | cut -c1-12)
if [ ! -f "$stamp" ]; then
  .venv/bin/pip install -q --upgrade pip
  # torch first, pinned: the CPU build torchcodec 0.13 decodes with (a looser pin pulls CUDA builds)
  .venv/bin/pip install -q torch==2.13.0 torchcodec==0.13.0
  # torch repeated on the line so nothing replaces the CPU wheel; DeepSpeed's CUDA ops are JIT-built
  # on first use instead of at install (there is no CUDA toolkit here)
  DS_BUILD_OPS=0 .venv/bin/pip install -q torch==2.13.0 -e ".[builder,hub,train,eval,scale,dev]"
  # lmms-eval without its dependency pins (they pull CUDA torch, torchvision and av<16); what it
  # needs on CPU is the [eval] extra above. Never install torchvision here: its PyPI wheels are
  # CUDA builds that break transformers' imports next to the CPU torch.
  .venv/bin/pip install -q --no-deps lmms-eval==0.7.3
  # ProcTHOR's asset database for `simsv generate --procthor`: JSON data only, so none of its
  # dependencies (trimesh, python-sat, matplotlib) are needed
  .venv/bin/pip install -q --no-deps procthor==0.0.1.dev2
  rm -f .venv/.installed-*; touch "$stamp"
fi
