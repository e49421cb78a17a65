// The page `egress-sim serve` answers at `/`, clicked through in a real browser: Debian's
// chromium, headless, driven by playwright-core. It starts the server itself on a free
// loopback port, waits for /readyz, then traces a flow, replays a capture and plans a
// migration as a user would, and checks what the page shows.
//
//   node browser_test.mjs EGRESS_SIM REPO_DIR
//
// CHROMIUM names the browser (default /usr/bin/chromium). With EGRESS_SCREENSHOTS=1 it also
// writes docs/images/web-trace.png and docs/images/report.png (README's pictures); otherwise
// it writes nothing.
import { spawn } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { createServer } from 'node:net';
import path from 'node:path';
import { chromium } from 'playwright-core';

const [sim, repo] = process.argv.slice(2);
if (!sim || !repo) {
  console.error('usage: node browser_test.mjs EGRESS_SIM REPO_DIR');
  process.exit(2);
}
const executablePath = process.env.CHROMIUM || '/usr/bin/chromium';
const screenshots = process.env.EGRESS_SCREENSHOTS === '1';
const topologies = ['aks-udr-firewall', 'aks-loadbalancer'].map((name) =>
  path.join(repo, 'topologies', name + '.yaml'));
const capture = path.join(repo, 'topologies', 'captures', 'aks-udr-firewall-nodes.pcap');
// README's first command: of the capture's 250 flows, 210 leave with the firewall's public IP
// and the firewall denies 40.
const firewallIp = '20.83.201.36';

const failures = [];
function check(ok, what) {
  console.log((ok ? 'ok     ' : 'FAILED ') + what);
  if (!ok) failures.push(what);
}

function freePort() {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address();
      probe.close(() => resolve(port));
    });
  });
}

// Starts the server and resolves with its base URL once /readyz answers 200; rejects with its
// output if it exits first or is not ready within the deadline.
async function startServer() {
  const port = await freePort();
  const server = spawn(sim, ['serve', ...topologies, '--listen', `127.0.0.1:${port}`], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  server.stdout.on('data', (d) => (output += d));
  server.stderr.on('data', (d) => (output += d));
  let exited = null;
  server.on('exit', (code, signal) => (exited = signal || code));
  const base = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 30000;
  while (Date.now() < deadline) {
    if (exited !== null) {
      throw new Error(`egress-sim serve exited (${exited}) before it was ready:\n${output}`);
    }
    try {
      const response = await fetch(base + '/readyz');
      if (response.status === 200) return { server, base, output: () => output };
    } catch {
      // Not listening yet.
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  server.kill('SIGKILL');
  throw new Error(`egress-sim serve was not ready within 30 s:\n${output}`);
}

function stopServer(server) {
  return new Promise((resolve) => {
    if (server.exitCode !== null || server.signalCode !== null) return resolve();
    const timer = setTimeout(() => server.kill('SIGKILL'), 10000);
    server.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    server.kill('SIGTERM');
  });
}

// The text of a report shown in one of the page's frames.
// The report frame's text once it has loaded its document. The page sets the frame's srcdoc
// after showing it, so a read can land while the frame navigates ("Execution context was
// destroyed"): read again until a loaded document answers, for up to 30 s.
async function frameText(page, selector) {
  const deadline = Date.now() + 30000;
  for (;;) {
    try {
      const frame = await (await page.$(selector)).contentFrame();
      await frame.waitForLoadState();
      const text = await frame.evaluate(() => document.body ? document.body.innerText : '');
      if (text.trim() !== '' || Date.now() > deadline) {
        return text;
      }
    } catch (e) {
      if (Date.now() > deadline) {
        throw e;
      }
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

async function main() {
  const { server, base, output } = await startServer();
  const browser = await chromium.launch({
    executablePath,
    headless: true,
    // Chromium's own sandbox needs user namespaces, which a root or container CI lacks.
    args: process.getuid && process.getuid() === 0 ? ['--no-sandbox'] : [],
  });
  try {
    const context = await browser.newContext({ viewport: { width: 1200, height: 900 } });
    const page = await context.newPage();
    page.setDefaultTimeout(30000);

    // The page must work from the server alone: every request goes to its own origin.
    const foreign = [];
    const pageErrors = [];
    page.on('request', (r) => {
      const url = r.url();
      if (!url.startsWith(base + '/') && !/^(data|blob|about):/.test(url)) foreign.push(url);
    });
    page.on('pageerror', (e) => pageErrors.push(String(e)));
    page.on('console', (m) => {
      if (m.type() === 'error') pageErrors.push(m.text());
    });

    await page.goto(base + '/');
    check((await page.title()) === 'egress-sim', 'the page loads with its title');
    const topology = page.getByLabel('Topology', { exact: true });
    await page.waitForFunction(() => !document.getElementById('topology').disabled);
    const names = await topology.evaluate((s) => Array.from(s.options, (o) => o.value));
    check(JSON.stringify(names) === JSON.stringify(['aks-loadbalancer', 'aks-udr-firewall']),
      `the topology list is the server's, sorted (${names.join(', ')})`);
    await topology.selectOption('aks-udr-firewall');
    check(/userDefinedRouting/.test(await page.locator('#topology-info').innerText()),
      'choosing a topology shows its outbound type');

    // Trace: README's example flow, ghcr.io through the firewall's FQDN network rule.
    await page.getByLabel('Source IP').fill('10.42.1.10');
    await page.getByLabel('Destination IP').fill('140.82.112.3');
    await page.getByLabel('Protocol').selectOption('tcp');
    await page.getByLabel('Destination port').fill('443');
    await page.getByLabel(/^Host/).fill('ghcr.io');
    await page.getByRole('button', { name: 'Trace' }).click();
    await page.locator('#trace-result').waitFor({ state: 'visible' });
    check((await page.locator('#trace-verdict').innerText()) === 'egress', 'trace: verdict egress');
    check((await page.locator('#trace-egress').innerText()) === firewallIp,
      `trace: egress IP ${firewallIp}`);
    check((await page.locator('#trace-snat').innerText()).startsWith(firewallIp + ':'),
      'trace: SNAT to the firewall IP and a port');
    check(/appliance aks-egress-fw/.test(await page.locator('#trace-via').innerText()),
      'trace: via the appliance aks-egress-fw');
    const hops = await page.locator('#trace-hops tr').allInnerTexts();
    check(hops.length === 3 && /VirtualAppliance 10\.42\.2\.4/.test(hops[1]) &&
      /rule aksfwnr\/ghcr/.test(hops[2]),
      `trace: three hops, the UDR to the firewall and its rule (${hops.length} rows)`);
    await page.locator('#trace-models li').first().waitFor();
    const models = await page.locator('#trace-models').innerText();
    check(/^firewall-fqdn-by-host: A network rule/m.test(models),
      'trace: the models it rests on, with their text from /v1/models');
    await page.waitForFunction(() => {
      const img = document.getElementById('trace-svg');
      return img.complete && img.naturalWidth > 0;
    });
    check(true, 'trace: the path picture (trace.svg) is shown');
    check(await page.getByRole('alert').isHidden(), 'trace: no error shown');
    if (screenshots) {
      mkdirSync(path.join(repo, 'docs', 'images'), { recursive: true });
      await page.locator('#trace-section').scrollIntoViewIfNeeded();
      await page.screenshot({ path: path.join(repo, 'docs', 'images', 'web-trace.png'), fullPage: false });
    }

    // The same flow to github.com: no rule allows it, the firewall denies it.
    await page.getByLabel('Destination IP').fill('140.82.112.4');
    await page.getByLabel(/^Host/).fill('github.com');
    await page.getByRole('button', { name: 'Trace' }).click();
    await page.waitForFunction(() => document.getElementById('trace-verdict').textContent === 'dropped');
    check((await page.locator('#trace-reason').innerText()) === 'appliance-deny' &&
      (await page.locator('#trace-egress').innerText()) === '—',
      'trace: github.com dropped, appliance-deny, no egress IP');

    // An address that is none: the server's problem+json, shown to the user.
    await page.getByLabel('Source IP').fill('10.42.1.300');
    await page.getByRole('button', { name: 'Trace' }).click();
    const alert = page.getByRole('alert');
    await alert.waitFor({ state: 'visible' });
    const alertText = await alert.innerText();
    check(/^Trace: /.test(alertText) && /10\.42\.1\.300/.test(alertText) && /HTTP 4\d\d/.test(alertText),
      `trace error: the problem is shown (${alertText.replace(/\s+/g, ' ')})`);
    await page.getByLabel('Source IP').fill('10.42.1.10');

    // Replay: the capture of README's first command, uploaded.
    await page.getByLabel(/^Capture/).setInputFiles(capture);
    await page.getByRole('button', { name: 'Replay' }).click();
    await page.locator('#replay-result').waitFor({ state: 'visible' });
    const replay = await frameText(page, '#replay-report');
    check(replay.includes(firewallIp), `replay report: names ${firewallIp}`);
    for (const count of ['250', '210', '40']) {
      check(new RegExp(`(^|[^0-9.])${count}([^0-9.]|$)`).test(replay), `replay report: shows ${count}`);
    }
    check(/appliance-deny/.test(replay), 'replay report: names the reason appliance-deny');
    check(await page.getByRole('alert').isHidden(), 'replay: no error shown');
    if (screenshots) {
      // The report as its reader sees it: alone in a window, not in the page's frame.
      const html = await page.locator('#replay-report').getAttribute('srcdoc');
      const reportPage = await context.newPage();
      await reportPage.setContent(html);
      await reportPage.screenshot({ path: path.join(repo, 'docs', 'images', 'report.png'),
        clip: { x: 0, y: 0, width: 1200, height: 1400 } });
      await reportPage.close();
    }

    // Migrate: README's example, the load balancer cluster to a managed NAT gateway (Managed
    // VNet: supported), 300 synthetic flows of seed 1, of which 290 change egress IP.
    await topology.selectOption('aks-loadbalancer');
    check(await page.locator('#migrate-to option[value="loadBalancer"]').evaluate((o) => o.disabled),
      "migrate: the topology's own outbound type is not offered");
    await page.getByLabel('Target outbound type').selectOption('managedNATGateway');
    await page.getByLabel('Synthetic flows').fill('300');
    await page.getByLabel('Seed').fill('1');
    await page.getByRole('button', { name: 'Plan migration' }).click();
    await page.locator('#migrate-result').waitFor({ state: 'visible' });
    const migrate = await frameText(page, '#migrate-report');
    check(/loadBalancer/.test(migrate) && /managedNATGateway/.test(migrate),
      'migrate report: names both outbound types');
    check(migrate.includes('20.62.138.17') && migrate.includes('aks-default-managed-natgw'),
      'migrate report: the egress IPs before and the NAT gateway after');
    for (const count of ['300', '290']) {
      check(new RegExp(`(^|[^0-9.])${count}([^0-9.]|$)`).test(migrate), `migrate report: shows ${count}`);
    }
    check(await page.getByRole('alert').isHidden(), 'migrate: no error shown');

    check(foreign.length === 0, `no request leaves the server's origin (${foreign.join(', ')})`);
    check(pageErrors.length === 0 || pageErrors.every((e) => /status of 4\d\d/.test(e)),
      `no script errors (${pageErrors.join(' | ')})`);
  } catch (e) {
    // A wait that timed out: what the page says is usually why (an API answer it showed).
    const pages = browser.contexts().flatMap((c) => c.pages());
    const shown = pages.length ? await pages[0].locator('#error').innerText().catch(() => '') : '';
    throw new Error(`${e.message}\nthe page's error box: ${shown || '(empty)'}`);
  } finally {
    await browser.close();
    await stopServer(server);
  }
  if (failures.length) {
    console.error(`\n${failures.length} check(s) failed; the server said:\n${output()}`);
    process.exit(1);
  }
  console.log('\nweb.browser: all checks passed');
}

main().catch((e) => {
  console.error(String(e && e.stack ? e.stack : e));
  process.exit(1);
});
