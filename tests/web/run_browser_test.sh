#!/usr/bin/env bash
# Runs browser_test.mjs: egress-sim serve's page in headless Chromium.
#
#   bash run_browser_test.sh EGRESS_SIM REPO_DIR
#
# Exits 77 (ctest's SKIP_RETURN_CODE) with a message when node or Chromium is not installed
# (bash tools/deps.sh installs both). playwright-core, pinned in package-lock.json, is
# installed into node_modules/ here by `npm ci` when it is missing or not the pinned version
# (tools/deps.sh does the same, so that a test run needs no network).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"

if ! command -v node >/dev/null 2>&1; then
  echo "SKIP: node is not installed (bash tools/deps.sh installs nodejs and npm)"
  exit 77
fi
chromium="${CHROMIUM:-/usr/bin/chromium}"
if [ ! -x "${chromium}" ]; then
  echo "SKIP: no Chromium at ${chromium} (bash tools/deps.sh installs Debian's chromium; CHROMIUM=PATH names another)"
  exit 77
fi
export CHROMIUM="${chromium}"

if ! node "${here}/modules_pinned.cjs"; then
  if ! command -v npm >/dev/null 2>&1; then
    echo "SKIP: npm is not installed, and playwright-core is not in ${here}/node_modules (bash tools/deps.sh installs them)"
    exit 77
  fi
  echo "installing playwright-core with npm ci in ${here}"
  (cd "${here}" && npm ci --no-audit --no-fund)
fi

exec node "${here}/browser_test.mjs" "$@"
