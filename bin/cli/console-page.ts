// The console's page: plain HTML, one stylesheet and one script served by the console itself (the CSP
// allows nothing else). No framework: it renders /api/status into a table every few seconds and posts
// overrides after a confirmation dialog that asks for the reason.

export const CONSOLE_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>cx-surge console</title>
<link rel="stylesheet" href="/console.css">
<script src="/console.js" defer></script>
</head>
<body>
<header>
  <h1>cx-surge console</h1>
  <p id="where" class="muted"></p>
  <p id="refreshed" class="muted" aria-live="off">loading…</p>
</header>
<main>
  <p id="error" role="alert" hidden></p>
  <section aria-labelledby="queues-h">
    <h2 id="queues-h">Queues</h2>
    <table id="queues">
      <caption>Last known queue depth, data age and tier states. A tier you override stays as you set it until the override ends.</caption>
      <thead><tr><th scope="col">Queue</th><th scope="col">Waiting</th><th scope="col">Agents available</th><th scope="col">Data</th><th scope="col">Tier 1 bot boost</th><th scope="col">Tier 2 capacity gate</th><th scope="col">Tier 3 widget throttle</th></tr></thead>
      <tbody></tbody>
    </table>
  </section>
  <section aria-labelledby="levers-h">
    <h2 id="levers-h">Levers</h2>
    <table id="levers">
      <thead><tr><th scope="col">Lever</th><th scope="col">Tier</th><th scope="col">Wanted</th><th scope="col">Applied</th><th scope="col">Sync / drift</th><th scope="col">Last verified</th><th scope="col">Failures</th></tr></thead>
      <tbody></tbody>
    </table>
    <p id="pages" class="muted"></p>
  </section>
  <section aria-labelledby="log-h">
    <h2 id="log-h">What your clicks changed</h2>
    <ol id="log" aria-live="polite"><li class="muted">Nothing yet.</li></ol>
  </section>
</main>
<dialog id="confirm" aria-labelledby="confirm-h">
  <form id="confirm-form" method="dialog">
    <h2 id="confirm-h">Confirm override</h2>
    <p id="confirm-what"></p>
    <p id="confirm-reason-row"><label for="confirm-reason">Reason (paged to on-call)</label><br>
      <input id="confirm-reason" name="reason" required maxlength="500" autocomplete="off"></p>
    <p id="confirm-for-row"><label for="confirm-for">For how long</label><br>
      <select id="confirm-for" name="for">
        <option value="15m">15 minutes</option>
        <option value="30m" selected>30 minutes</option>
        <option value="1h">1 hour</option>
        <option value="2h">2 hours</option>
        <option value="4h">4 hours</option>
        <option value="">until cleared</option>
      </select></p>
    <p id="confirm-error" role="alert" hidden></p>
    <p class="buttons"><button type="submit" id="confirm-ok" value="ok">Confirm</button>
      <button type="button" id="confirm-cancel">Cancel</button></p>
  </form>
</dialog>
</body>
</html>
`;

export const CONSOLE_CSS = `:root { color-scheme: light; --line: #c8ccd2; --muted: #555; --on: #0b5394; --warn: #8a1c00; }
* { box-sizing: border-box; }
body { font: 15px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; margin: 0 auto; padding: 1rem 1.25rem 3rem; max-width: 1100px; color: #111; background: #fff; }
h1 { font-size: 1.4rem; margin: 0 0 .2rem; }
h2 { font-size: 1.1rem; margin: 1.5rem 0 .5rem; }
.muted { color: var(--muted); margin: .1rem 0; }
table { border-collapse: collapse; width: 100%; }
caption { text-align: left; color: var(--muted); padding-bottom: .4rem; }
th, td { border-bottom: 1px solid var(--line); padding: .45rem .5rem; text-align: left; vertical-align: top; }
th { font-weight: 600; background: #f3f4f6; }
td.num { font-variant-numeric: tabular-nums; }
.state { font-weight: 700; }
.state.on { color: var(--on); }
.badge { display: inline-block; border: 1px solid currentColor; border-radius: 3px; padding: 0 .3rem; font-size: .8rem; font-weight: 600; margin-left: .25rem; }
.degraded { color: var(--warn); }
tr.degraded td:first-child { border-left: 4px solid var(--warn); }
.why { display: block; color: var(--muted); font-size: .82rem; }
button { font: inherit; font-size: .85rem; padding: .2rem .55rem; margin: .25rem .25rem 0 0; border: 1px solid #666; border-radius: 4px; background: #fff; cursor: pointer; }
button:hover { background: #eef2f7; }
button:focus-visible, input:focus-visible, select:focus-visible { outline: 3px solid #1a73e8; outline-offset: 1px; }
dialog { border: 1px solid #888; border-radius: 6px; max-width: 30rem; padding: 1rem 1.25rem; }
dialog::backdrop { background: rgba(0,0,0,.35); }
input, select { font: inherit; width: 100%; padding: .3rem; }
#error, #confirm-error { color: var(--warn); font-weight: 600; }
#log li { margin-bottom: .4rem; }
`;

export const CONSOLE_JS = `'use strict';
(() => {
  const token = new URLSearchParams(location.search).get('token') || '';
  const REFRESH_MS = 5000;
  const $ = (id) => document.getElementById(id);
  const el = (tag, props, ...children) => {
    const e = document.createElement(tag);
    Object.assign(e, props || {});
    for (const c of children) if (c != null) e.append(c);
    return e;
  };
  let pending = null;
  /** el() with a stable key: a refresh keeps the element (and the keyboard focus on it) when the key matches. */
  const keyed = (key, tag, props, ...children) => {
    const e = el(tag, props, ...children);
    e.dataset.key = key;
    return e;
  };

  // Refreshing must not lose the operator's place: the new rows are morphed into the page node by node,
  // so an element that is still there (same tag, same key) stays the same element; only changed text and
  // attributes are written. Keyboard focus, a screen reader's position and aria-live regions that did not
  // change are left alone (replacing the rows every 5 s dropped focus to the page).
  function morph(from, to) {
    if (from.nodeType !== to.nodeType || from.nodeName !== to.nodeName ||
        (from.nodeType === Node.ELEMENT_NODE && from.dataset.key !== to.dataset.key)) {
      from.replaceWith(to);
      return;
    }
    if (from.nodeType !== Node.ELEMENT_NODE) {
      if (from.nodeValue !== to.nodeValue) from.nodeValue = to.nodeValue;
      return;
    }
    for (const a of [...from.attributes]) if (!to.hasAttribute(a.name)) from.removeAttribute(a.name);
    for (const a of [...to.attributes]) if (from.getAttribute(a.name) !== a.value) from.setAttribute(a.name, a.value);
    from.onclick = to.onclick;
    patch(from, [...to.childNodes]);
  }

  /** Makes parent's children match next: keyed ones kept (moved if reordered), others morphed in place. */
  function patch(parent, next) {
    const keyOf = (n) => (n.nodeType === Node.ELEMENT_NODE ? n.dataset.key : undefined);
    const byKey = new Map();
    for (const c of parent.childNodes) if (keyOf(c)) byKey.set(keyOf(c), c);
    next.forEach((node, i) => {
      const at = parent.childNodes[i] || null;
      const match = keyOf(node) ? byKey.get(keyOf(node)) : undefined;
      if (match) {
        byKey.delete(keyOf(node));
        if (match !== at) parent.insertBefore(match, at);
        morph(match, node);
      } else if (at && !keyOf(at)) morph(at, node);
      else parent.insertBefore(node, at);
    });
    while (parent.childNodes.length > next.length) parent.lastChild.remove();
  }

  async function api(path, body) {
    const res = await fetch(path, {
      method: body ? 'POST' : 'GET',
      headers: Object.assign({ 'X-Surge-Token': token }, body ? { 'Content-Type': 'application/json' } : {}),
      body: body ? JSON.stringify(body) : undefined,
    });
    const data = await res.json().catch(() => ({ error: res.statusText }));
    if (!res.ok) throw new Error(data.error || res.statusText);
    return data;
  }

  function tierCell(q, t) {
    const on = t.effective;
    const td = el('td', {}, el('span', { className: 'state' + (on ? ' on' : ''), textContent: on ? 'ON' : 'off' }));
    td.append(el('span', { className: 'badge', textContent: t.mode }));
    if (t.override) td.append(el('span', { className: 'badge', textContent: 'override' }));
    td.append(el('span', { className: 'why', textContent: t.reason }));
    const who = q.queueId;
    const act = (state) => keyed('hold-' + state, 'button', {
      type: 'button',
      textContent: state === 'active' ? 'Hold on' : 'Hold off',
      ariaLabel: 'Hold tier ' + t.tier + (state === 'active' ? ' on' : ' off') + ' for ' + who,
      onclick: () => ask({ action: 'set', queue: who, tier: t.tier, state }),
    });
    td.append(el('br'), act('active'), act('inactive'));
    if (t.override && t.override.queue === who) {
      td.append(keyed('clear', 'button', {
        type: 'button',
        textContent: 'Clear override',
        ariaLabel: 'Clear the tier ' + t.tier + ' override of ' + who,
        onclick: () => ask({ action: 'clear', queue: who, tier: t.tier }),
      }));
    }
    return td;
  }

  function render(data) {
    const s = data.status;
    $('where').textContent = 'Operating on ' + data.where;
    $('refreshed').textContent = 'Updated ' + new Date().toLocaleTimeString() + ' (refreshes every ' + REFRESH_MS / 1000 + ' s)';
    const rows = s.queues.map((q) => {
      const data = el('td', {}, q.updated);
      if (q.degraded) data.prepend(el('strong', { className: 'degraded', textContent: 'DEGRADED ' }));
      const agents = q.agentsAvailable === undefined ? '–' : q.agentsAvailable === null ? 'unknown' : String(q.agentsAvailable);
      return keyed('queue:' + q.queueId, 'tr', { className: q.degraded ? 'degraded' : '' },
        el('th', { scope: 'row', textContent: q.name ? q.name + ' (' + q.queueId + ')' : q.queueId }),
        el('td', { className: 'num', textContent: q.waiting === undefined ? '–' : String(q.waiting) }),
        el('td', { className: 'num', textContent: agents }),
        data,
        ...q.tiers.map((t) => tierCell(q, t)));
    });
    patch($('queues').tBodies[0], rows);
    patch($('levers').tBodies[0], s.actuators.map((a) => keyed('lever:' + a.actuatorId, 'tr', {},
      el('th', { scope: 'row', textContent: a.actuatorId }),
      el('td', { textContent: a.tier ? String(a.tier) : '–' }),
      el('td', { textContent: a.desired }),
      el('td', { textContent: a.applied }),
      el('td', { textContent: a.sync + (a.lastDrift ? '; drift put back ' + a.lastDrift.at : '') }),
      el('td', { textContent: a.verifiedAt || '–' }),
      el('td', { className: 'num', textContent: String(a.consecutiveFailures) + (a.lastError ? ' (' + a.lastError.message + ')' : '') }))));
    $('pages').textContent = s.openPages.length + ' open page(s), ' + s.undeliveredPages.length + ' not delivered yet';
    if (data.actions.length > 0) patch($('log'), data.actions.map(describe));
  }

  function describe(a) {
    const o = a.outcome;
    const v = o.override;
    const where = v.queue === '*' ? 'every queue' : v.queue;
    const head = o.action === 'set'
      ? 'Tier ' + v.tier + ' held ' + (v.state === 'active' ? 'ON' : 'off') + ' for ' + where + (v.until ? ' until ' + v.until : ' until cleared') + ' — ' + v.reason
      : 'Tier ' + v.tier + ' override of ' + where + ' cleared: the controller decides again';
    const changes = o.changes.length === 0
      ? 'No lever changed (already as wanted).'
      : o.changes.map((c) => c.actuatorId + ': ' + c.applied[0] + ' → ' + c.applied[1]).join('; ');
    return keyed(a.at + ' ' + a.by + ' ' + o.action + ' ' + v.queue + ' ' + v.tier, 'li', {}, el('strong', { textContent: head }), el('br'),
      a.at + ' by ' + a.by + '. ' + (o.applied.ok ? '' : 'Not applied yet: ' + o.applied.detail + '. ') + changes);
  }

  function ask(request) {
    pending = request;
    const what = request.action === 'set'
      ? 'Hold tier ' + request.tier + ' ' + (request.state === 'active' ? 'ON' : 'OFF') + ' for ' + (request.queue === '*' ? 'every queue' : 'queue ' + request.queue) + '.'
      : 'Clear the tier ' + request.tier + ' override of queue ' + request.queue + ': the controller decides again.';
    $('confirm-what').textContent = what + ' This switches levers now and pages on-call.';
    $('confirm-for-row').hidden = request.action !== 'set';
    $('confirm-reason-row').hidden = request.action !== 'set';
    $('confirm-reason').required = request.action === 'set';
    $('confirm-reason').value = '';
    $('confirm-error').hidden = true;
    $('confirm').showModal();
    (request.action === 'set' ? $('confirm-reason') : $('confirm-ok')).focus();
  }

  async function confirm(event) {
    event.preventDefault();
    if (!pending) return;
    const body = Object.assign({}, pending);
    if (body.action === 'set') {
      body.reason = $('confirm-reason').value;
      if ($('confirm-for').value) body.for = $('confirm-for').value;
    }
    $('confirm-ok').disabled = true;
    try {
      await api('/api/override', body);
      $('confirm').close();
      pending = null;
      await refresh();
    } catch (e) {
      $('confirm-error').textContent = e.message;
      $('confirm-error').hidden = false;
    } finally {
      $('confirm-ok').disabled = false;
    }
  }

  async function refresh() {
    try {
      render(await api('/api/status'));
      $('error').hidden = true;
    } catch (e) {
      $('error').textContent = 'Cannot read the status: ' + e.message;
      $('error').hidden = false;
    }
  }

  $('confirm-form').addEventListener('submit', confirm);
  $('confirm-cancel').addEventListener('click', () => { pending = null; $('confirm').close(); });
  refresh();
  setInterval(refresh, REFRESH_MS);
})();
`;
