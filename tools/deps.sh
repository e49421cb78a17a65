#!/usr/bin/env bash
# Installs what egress-sim needs to build and test on Debian 12, and only what is missing.
#
#   bash tools/deps.sh        (as root, or as a user with sudo)
#
# Each package is checked with `dpkg -s`; when all are installed nothing else runs (no network).
# Otherwise: `apt-get update`, then one `apt-get install` of the missing ones.
set -euo pipefail

# What CMakeLists.txt finds: a C++20 compiler and make (build-essential), CMake >= 3.20,
# pkg-config for libpcap, yaml-cpp, nlohmann_json >= 3.10, CLI11, GoogleTest and GoogleMock,
# Google Benchmark (bench/) with zlib (optional there, for compressed route tables), Boost, and
# tshark, which the tests use to check captures egress-sim reads and writes (they skip without
# it), and help2man, which makes the man page from --help at build time (without it the build
# skips the man page), and xmllint (libxml2-utils), which checks trace --svg pictures are
# well-formed XML (that test skips without it). The benchmarks' optional extras (DPDK, tcpreplay) are in bench/README.md,
# not here.
packages=(
  build-essential
  cmake
  pkg-config
  libyaml-cpp-dev
  libpcap-dev
  libboost-dev
  nlohmann-json3-dev
  libcli11-dev
  libgtest-dev
  libgmock-dev
  libbenchmark-dev
  zlib1g-dev
  tshark
  help2man
  libxml2-utils
)

installed() {
  dpkg -s "$1" 2>/dev/null | grep -q '^Status: install ok installed$'
}

missing=()
for p in "${packages[@]}"; do
  if ! installed "$p"; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "deps: all ${#packages[@]} packages installed"
  exit 0
fi

echo "deps: installing ${missing[*]}"
sudo=()
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then
    sudo=(sudo)
  else
    echo "deps: missing packages (${missing[*]}) and not root; run as root" >&2
    exit 1
  fi
fi
"${sudo[@]}" apt-get update
"${sudo[@]}" env DEBIAN_FRONTEND=noninteractive \
  apt-get install -y --no-install-recommends "${missing[@]}"
