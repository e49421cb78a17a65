// Exits 0 when node_modules/ beside this file holds playwright-core at the version
// package-lock.json pins, 1 otherwise (then `npm ci` here installs it). Used by
// tools/deps.sh and run_browser_test.sh.
'use strict';
const fs = require('fs');
const path = require('path');

const lock = JSON.parse(fs.readFileSync(path.join(__dirname, 'package-lock.json'), 'utf8'));
const want = lock.packages['node_modules/playwright-core'].version;
let have = null;
try {
  const installed = path.join(__dirname, 'node_modules', 'playwright-core', 'package.json');
  have = JSON.parse(fs.readFileSync(installed, 'utf8')).version;
} catch {
  // Not installed.
}
process.exit(have === want ? 0 : 1);
