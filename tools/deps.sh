#!/usr/bin/env bash
# Installs what egress-sim needs to build and test on Debian 12, and only what is missing.
#
#   bash tools/deps.sh        (as root, or as a user with sudo)
#
# Each package is checked with `dpkg -s`; when all are installed nothing else runs (no network).
# Otherwise: `apt-get update`, then one `apt-get install` of the missing ones. Then the browser
# test's playwright-core (tests/web/package-lock.json) is installed by `npm ci` into
# tests/web/node_modules, only when it is not already the pinned version.
set -euo pipefail

# What CMakeLists.txt finds: a C++20 compiler and make (build-essential), CMake >= 3.20,
# pkg-config for libpcap, yaml-cpp, nlohmann_json >= 3.10, CLI11, GoogleTest and GoogleMock,
# Google Benchmark (bench/) with zlib (optional there, for compressed route tables), Boost, and
# tshark, which the tests use to check captures egress-sim reads and writes (they skip without
# it), and help2man, which makes the man page from --help at build time (without it the build
# skips the man page), ccache, which tools/run_tests.sh puts in front of the compiler so a
# second run of the suite (CI after a local run) recompiles only what changed, and xmllint
# (libxml2-utils), which checks trace --svg pictures are well-formed XML (that test skips
# without it). The benchmarks' optional extras (DPDK, tcpreplay) are in bench/README.md, not
# here. Debian's chromium and node (nodejs, npm) run the web page's browser test (tests/web);
# node and npm are taken from the PATH when there, whichever package or installer put them
# there, and installed from Debian otherwise.
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
  ccache
  chromium
  libxml2-utils
)
if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
  packages+=(nodejs npm)
fi

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
else
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
fi

# playwright-core for tests/web, at the version package-lock.json pins.
web_tests="$(cd "$(dirname "${BASH_SOURCE[0]}")/../tests/web" && pwd)"
if ! node "${web_tests}/modules_pinned.cjs"; then
  echo "deps: npm ci in tests/web (playwright-core for the browser test)"
  # Without it only the browser test cannot run (it skips and says why); the build and the
  # other tests do not need it.
  (cd "${web_tests}" && npm ci --no-audit --no-fund) ||
    echo "deps: npm ci failed in tests/web; web.browser will be skipped" >&2
else
  echo "deps: tests/web's playwright-core installed"
fi
