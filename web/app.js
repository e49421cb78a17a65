// The page's only script: it asks the server's /v1/ API (docs/openapi.json) and shows the
// answers. No library and no build step: the server embeds this file as it is.
'use strict';

(function () {
  const $ = (id) => document.getElementById(id);

  // Paths are relative so that the page also works behind a proxy that mounts the server
  // under a prefix.
  const api = (path) => 'v1/' + path;
  const topologyPath = (suffix) =>
    api('topologies/' + encodeURIComponent(currentTopology()) + suffix);

  let topologies = [];

  function currentTopology() {
    return $('topology').value;
  }

  function clearError() {
    const box = $('error');
    box.hidden = true;
    box.textContent = '';
  }

  // Shows an RFC 9457 problem (or any other failure) where a screen reader announces it.
  function showError(what, problem) {
    const box = $('error');
    box.textContent = '';
    const head = document.createElement('strong');
    head.textContent = what + ': ';
    box.appendChild(head);
    let text = problem.title || 'error';
    if (problem.detail) text += ': ' + problem.detail;
    if (problem.file) {
      let where = problem.file;
      if (problem.line) where += ':' + problem.line;
      if (problem.column) where += ':' + problem.column;
      text += ' (' + where + ')';
    }
    if (problem.code) text += ' [' + problem.code + ']';
    if (problem.status) text += ' — HTTP ' + problem.status;
    box.appendChild(document.createTextNode(text));
    box.hidden = false;
    box.scrollIntoView({ block: 'nearest' });
  }

  // The problem document of a failed response, or one made up from its status when the body
  // is not a problem (a proxy's error page, say).
  async function problemOf(response) {
    const type = response.headers.get('content-type') || '';
    const body = await response.text();
    if (type.includes('json')) {
      try {
        const problem = JSON.parse(body);
        if (problem && typeof problem === 'object') {
          if (!problem.status) problem.status = response.status;
          return problem;
        }
      } catch (e) {
        // Not JSON after all: fall through to the status line.
      }
    }
    return {
      title: response.statusText || 'request failed',
      detail: body.trim().slice(0, 300),
      status: response.status,
    };
  }

  // fetch() that throws a problem for anything but a 2xx answer, and for network failures.
  async function request(url, options) {
    let response;
    try {
      response = await fetch(url, options);
    } catch (e) {
      throw { title: 'the server did not answer', detail: String(e.message || e) };
    }
    if (!response.ok) throw await problemOf(response);
    return response;
  }

  // Runs one question: the form's button is disabled while it runs, errors go to the alert.
  async function run(form, what, work) {
    const button = form.querySelector('button[type=submit]');
    clearError();
    button.disabled = true;
    form.setAttribute('aria-busy', 'true');
    try {
      await work();
    } catch (problem) {
      showError(what, problem && typeof problem === 'object' ? problem : { title: String(problem) });
    } finally {
      button.disabled = false;
      form.removeAttribute('aria-busy');
    }
  }

  function requireTopology() {
    if (!currentTopology()) throw { title: 'no topology', detail: 'the server has none loaded' };
  }

  // Topologies

  function describeTopology() {
    const t = topologies.find((x) => x.name === currentTopology());
    const info = $('topology-info');
    if (!t) {
      info.textContent = '';
      return;
    }
    const parts = [
      'outboundType ' + (t.outboundType || 'none given'),
      t.vnets + (t.vnets === 1 ? ' VNet' : ' VNets'),
      (t.subnets || []).length + ((t.subnets || []).length === 1 ? ' subnet' : ' subnets'),
      t.findings + (t.findings === 1 ? ' finding' : ' findings'),
    ];
    info.textContent = parts.join(', ');
    for (const option of $('migrate-to').options) {
      option.disabled = option.value === t.outboundType;
    }
    const to = $('migrate-to');
    if (to.selectedOptions[0] && to.selectedOptions[0].disabled) {
      const first = Array.from(to.options).find((o) => !o.disabled);
      if (first) to.value = first.value;
    }
  }

  async function loadTopologies() {
    const select = $('topology');
    try {
      const response = await request(api('topologies'), { headers: { accept: 'application/json' } });
      topologies = (await response.json()).topologies || [];
    } catch (problem) {
      select.options[0].textContent = 'none';
      showError('Loading the topologies', problem);
      return;
    }
    select.textContent = '';
    for (const t of topologies) {
      const option = document.createElement('option');
      option.value = t.name;
      option.textContent = t.name;
      select.appendChild(option);
    }
    if (topologies.length === 0) {
      const option = document.createElement('option');
      option.value = '';
      option.textContent = 'none loaded';
      select.appendChild(option);
    }
    const wanted = new URLSearchParams(location.search).get('topology');
    if (wanted && topologies.some((t) => t.name === wanted)) select.value = wanted;
    select.disabled = topologies.length === 0;
    describeTopology();
  }

  $('topology').addEventListener('change', () => {
    const url = new URL(location.href);
    url.searchParams.set('topology', currentTopology());
    history.replaceState(null, '', url);
    describeTopology();
  });

  // Trace

  function traceQuery(form) {
    const data = new FormData(form);
    const flow = {
      src: String(data.get('src')).trim(),
      dst: String(data.get('dst')).trim(),
      proto: String(data.get('proto')),
    };
    const dport = String(data.get('dport')).trim();
    if (dport !== '' && flow.proto !== 'icmp') flow.dport = Number(dport);
    const host = String(data.get('host')).trim();
    if (host !== '') flow.host = host;
    return flow;
  }

  function cell(row, text, className) {
    const td = document.createElement('td');
    td.textContent = text == null ? '' : String(text);
    if (className) td.className = className;
    row.appendChild(td);
    return td;
  }

  // What decided a hop, in the words of `trace`'s table: the route or the rule.
  function hopDecision(hop) {
    const lines = [];
    const route = hop.route;
    if (route) {
      // As `trace` prints it: a system route has no table.
      const name = route.table ? [route.table, route.name].filter(Boolean).join('/') : 'system';
      let line = (name ? name + ' ' : '') + (route.prefix || '');
      if (route.source) line += ' (' + route.source + ')';
      if (route.nextHopType) line += ' → ' + route.nextHopType;
      if (route.nextHopIp) line += ' ' + route.nextHopIp;
      lines.push(line.trim());
    }
    if (hop.rule) lines.push('rule ' + hop.rule);
    if (hop.nsg) lines.push('NSG ' + (typeof hop.nsg === 'string' ? hop.nsg : JSON.stringify(hop.nsg)));
    return lines.join('\n');
  }

  function showTrace(result) {
    const flowText =
      result.proto + ' ' + result.src + (result.sport != null ? ':' + result.sport : '') +
      ' → ' + result.dst + (result.dport != null ? ':' + result.dport : '') +
      (result.host ? ' (host ' + result.host + ')' : '');
    $('trace-flow').textContent = flowText;
    const verdict = $('trace-verdict');
    verdict.textContent = result.verdict;
    verdict.className = 'verdict verdict-' + String(result.verdict).replace(/[^a-z-]/g, '');
    $('trace-reason').textContent = result.reason ? result.reason : '';
    $('trace-via').textContent =
      [result.via, result.resource].filter(Boolean).join(' ') || '—';
    $('trace-snat').textContent = result.snatIp
      ? result.snatIp + (result.snatPort != null ? ':' + result.snatPort : '')
      : '—';
    $('trace-egress').textContent = (result.egressIps || []).join(', ') || '—';

    const body = $('trace-hops');
    body.textContent = '';
    (result.hops || []).forEach((hop, i) => {
      const row = document.createElement('tr');
      cell(row, i + 1);
      cell(row, hop.at);
      cell(row, hopDecision(hop), 'decision');
      cell(row, hop.action);
      cell(row, hop.ip);
      body.appendChild(row);
    });
    showModels(result.models || []);
    $('trace-result').hidden = false;
  }

  let modelTexts = null;

  // The models a result rests on, each with its text from /v1/models (fetched once); the ids
  // alone when that fails, which is no reason to hide the trace.
  async function showModels(ids) {
    const list = $('trace-models');
    list.textContent = '';
    $('trace-models-box').hidden = ids.length === 0;
    if (ids.length === 0) return;
    let texts = modelTexts || new Map();
    if (modelTexts === null) {
      try {
        const response = await request(api('models'), { headers: { accept: 'application/json' } });
        texts = modelTexts = new Map(((await response.json()).models || []).map((m) => [m.id, m.text]));
      } catch {
        // Asked again with the next trace.
      }
    }
    for (const id of ids) {
      const item = document.createElement('li');
      const code = document.createElement('code');
      code.textContent = id;
      item.appendChild(code);
      const text = texts.get(id);
      if (text) item.appendChild(document.createTextNode(': ' + text));
      list.appendChild(item);
    }
  }

  let svgUrl = null;

  // The path picture, fetched rather than linked so that a failure is reported, not a broken
  // image; shown in <img>, where nothing in an SVG can run.
  async function showTracePicture(flow) {
    const params = new URLSearchParams();
    for (const [key, value] of Object.entries(flow)) params.set(key, String(value));
    const url = topologyPath('/trace.svg?' + params.toString());
    const img = $('trace-svg');
    const link = $('trace-svg-link');
    link.href = url;
    const response = await request(url, { headers: { accept: 'image/svg+xml' } });
    const blob = await response.blob();
    if (svgUrl) URL.revokeObjectURL(svgUrl);
    svgUrl = URL.createObjectURL(blob.type ? blob : new Blob([blob], { type: 'image/svg+xml' }));
    img.src = svgUrl;
    img.alt = 'Path of ' + $('trace-flow').textContent + ': ' + $('trace-verdict').textContent;
  }

  $('trace-form').addEventListener('submit', (event) => {
    event.preventDefault();
    const form = event.currentTarget;
    run(form, 'Trace', async () => {
      requireTopology();
      const flow = traceQuery(form);
      if (!flow.src || !flow.dst) {
        throw { title: 'a flow needs a source and a destination', detail: 'fill in both addresses' };
      }
      $('trace-result').hidden = true;
      const response = await request(topologyPath('/trace'), {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'application/json' },
        body: JSON.stringify(flow),
      });
      showTrace(await response.json());
      await showTracePicture(flow);
    });
  });

  // Reports (replay and migrate): the server's self-contained HTML, shown in a sandboxed frame
  // (its own origin: nothing in it reaches this page) and offered as a download.

  const reportUrls = {};

  function showReport(name, html) {
    const frame = $(name + '-report');
    frame.srcdoc = html;
    if (reportUrls[name]) URL.revokeObjectURL(reportUrls[name]);
    reportUrls[name] = URL.createObjectURL(new Blob([html], { type: 'text/html' }));
    $(name + '-download').href = reportUrls[name];
    $(name + '-result').hidden = false;
  }

  function formatBytes(n) {
    if (n < 1024) return n + ' bytes';
    if (n < 1024 * 1024) return (n / 1024).toFixed(1) + ' KiB';
    return (n / 1024 / 1024).toFixed(1) + ' MiB';
  }

  $('replay-form').addEventListener('submit', (event) => {
    event.preventDefault();
    const form = event.currentTarget;
    const status = $('replay-status');
    run(form, 'Replay', async () => {
      requireTopology();
      const file = $('replay-file').files[0];
      if (!file) throw { title: 'no capture chosen', detail: 'choose a pcap or pcapng file' };
      status.textContent = 'Replaying ' + file.name + ' (' + formatBytes(file.size) + ')…';
      try {
        const response = await request(topologyPath('/replay?report=html'), {
          method: 'POST',
          headers: { 'content-type': 'application/vnd.tcpdump.pcap', accept: 'text/html' },
          body: file,
        });
        showReport('replay', await response.text());
        status.textContent = 'Replayed ' + file.name + '.';
      } catch (problem) {
        status.textContent = '';
        throw problem;
      }
    });
  });

  $('migrate-form').addEventListener('submit', (event) => {
    event.preventDefault();
    const form = event.currentTarget;
    const status = $('migrate-status');
    run(form, 'Migration', async () => {
      requireTopology();
      const data = new FormData(form);
      const body = { to: String(data.get('to')), synth: Number(data.get('synth')) };
      const seed = String(data.get('seed')).trim();
      if (seed !== '') body.seed = Number(seed);
      status.textContent = 'Planning ' + currentTopology() + ' → ' + body.to + '…';
      try {
        const response = await request(topologyPath('/migrate?report=html'), {
          method: 'POST',
          headers: { 'content-type': 'application/json', accept: 'text/html' },
          body: JSON.stringify(body),
        });
        showReport('migrate', await response.text());
        status.textContent = 'Planned ' + currentTopology() + ' → ' + body.to + '.';
      } catch (problem) {
        status.textContent = '';
        throw problem;
      }
    });
  });

  loadTopologies();
})();
