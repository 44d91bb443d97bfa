#!/usr/bin/env bash
# Sets up everything the project needs on a fresh Debian machine with Python 3.11: system packages
# (antiword for .doc, chromium and a CJK font for the browser test), a .venv with pinned CPU torch
# first, then the requirements. Safe to run again: it skips what is already done.
set -euo pipefail
cd "$(dirname "$0")/.."

APT_PACKAGES="antiword chromium fonts-wqy-microhei"
missing=""
for p in $APT_PACKAGES; do dpkg -s "$p" >/dev/null 2>&1 || missing="$missing $p"; done
if [ -n "$missing" ]; then
  if [ "$(id -u)" = 0 ]; then
    echo "安装系统软件包 / installing system packages:$missing"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $missing >/dev/null
  else
    echo "提示 / note: missing system packages:$missing (sudo apt-get install -y$missing)" >&2
  fi
fi

PY=${PYTHON:-python3}
[ -x .venv/bin/python ] || "$PY" -m venv .venv
stamp=.venv/.requirements.sha
want=$(cat requirements.txt requirements-dev.txt requirements-scale.txt | sha256sum | cut -d' ' -f1)
if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  .venv/bin/python -m pip install -q --upgrade pip
  # torch first and pinned: a bare torch requirement would pull a multi-GB CUDA build
  .venv/bin/python -m pip install -q torch==2.13.0
  .venv/bin/python -m pip install -q -r requirements-dev.txt
  echo "$want" > "$stamp"
fi
