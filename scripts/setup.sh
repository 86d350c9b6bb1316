#!/usr/bin/env bash
# Installs the Debian 12 packages migsim needs, skipping those already present.
# Idempotent: a second run installs nothing.
set -euo pipefail

packages=(
  cmake g++ ninja-build pkg-config
  libboost-dev libboost-program-options-dev libboost-graph-dev
  libeigen3-dev nlohmann-json3-dev libyaml-dev libfmt-dev
  catch2 libbenchmark-dev python3 python3-matplotlib python3-yaml python3-jsonschema
  clang-14 libclang-rt-14-dev
  liblz4-dev libzstd-dev libxxhash-dev
  libopenmpi-dev openmpi-bin
)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "setup: all ${#packages[@]} required Debian packages are installed"
  exit 0
fi

echo "setup: missing packages: ${missing[*]}"
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
    SUDO=sudo
  else
    echo "setup: installing packages needs root. Run as root, or run:" >&2
    echo "  sudo apt-get update && sudo apt-get install -y ${missing[*]}" >&2
    exit 1
  fi
else
  SUDO=
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -q
$SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
echo "setup: installed ${missing[*]}"
