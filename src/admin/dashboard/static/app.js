// clerk-sync dashboard: plain JavaScript, no build step. Every view is drawn from the admin API
// (docs/api.md); DOM is built with textContent only, never innerHTML, so payload data cannot inject.

const BASE = document.querySelector('meta[name="clerk-sync-base"]').content;
const CSRF = document.querySelector('meta[name="clerk-sync-csrf"]').content;
const DASH = `${BASE}/dashboard`;
const STATUSES = ['pending', 'done', 'failed', 'dead', 'skipped'];
const ENTITY_KINDS = {
  users: { title: 'Users', prefix: 'user_', columns: [['id', 'ID'], ['primary_email_address', 'Email'], ['name', 'Name'], ['updated_at', 'Updated'], ['deleted_at', 'Deleted']] },
  organizations: { title: 'Organizations', prefix: 'org_', columns: [['id', 'ID'], ['name', 'Name'], ['slug', 'Slug'], ['members_count', 'Members'], ['updated_at', 'Updated']] },
  memberships: { title: 'Memberships', prefix: 'orgmem_', columns: [['id', 'ID'], ['organization_id', 'Organization'], ['user_id', 'User'], ['role', 'Role'], ['updated_at', 'Updated']] },
};
const TABLE_KIND = { clerk_users: 'users', clerk_organizations: 'organizations', clerk_organization_memberships: 'memberships' };

const main = document.getElementById('main');
let stopView = () => {};

// ---------- small helpers ----------

function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs ?? {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k === 'class') el.className = v;
    else if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
    else if (k === 'dataset') Object.assign(el.dataset, v);
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  for (const c of children.flat(Infinity)) {
    if (c === undefined || c === null || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return el;
}

const svgNs = 'http://www.w3.org/2000/svg';
function s(tag, attrs = {}, ...children) {
  const el = document.createElementNS(svgNs, tag);
  for (const [k, v] of Object.entries(attrs)) if (v !== undefined && v !== null) el.setAttribute(k, String(v));
  for (const c of children.flat()) if (c !== undefined && c !== null) el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  return el;
}

class ApiError extends Error {
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

async function api(path, options = {}) {
  const res = await fetch(`${BASE}/api/admin${path}`, {
    method: options.method ?? 'GET',
    headers: { accept: 'application/json', ...(options.body ? { 'content-type': 'application/json' } : {}), 'x-csrf-token': CSRF },
    body: options.body ? JSON.stringify(options.body) : undefined,
    credentials: 'same-origin',
  });
  if (res.status === 401) {
    location.href = `${DASH}/login`;
    throw new ApiError(401, 'unauthorized', 'session expired');
  }
  const body = await res.json().catch(() => null);
  if (!res.ok) throw new ApiError(res.status, body?.error?.code ?? 'error', body?.error?.message ?? `request failed (${res.status})`);
  return body;
}

function toast(message, kind = 'info') {
  const t = document.getElementById('toast');
  t.textContent = message;
  t.className = `show ${kind}`;
  clearTimeout(toast.timer);
  toast.timer = setTimeout(() => (t.className = ''), 4000);
}

function confirmDialog(title, text, okLabel) {
  const dialog = document.getElementById('confirm');
  document.getElementById('confirm-title').textContent = title;
  document.getElementById('confirm-text').textContent = text;
  document.getElementById('confirm-ok').textContent = okLabel;
  dialog.showModal();
  return new Promise((resolve) => dialog.addEventListener('close', () => resolve(dialog.returnValue === 'ok'), { once: true }));
}

function fmtTime(ms) {
  if (ms === null || ms === undefined) return '–';
  return new Date(Number(ms)).toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'medium' });
}

function fmtAgo(ms) {
  if (ms === null || ms === undefined) return '–';
  const d = Date.now() - Number(ms);
  if (d < 0) return `in ${fmtDuration(-d)}`;
  if (d < 5000) return 'just now';
  if (d < 60_000) return `${Math.floor(d / 1000)} s ago`;
  return `${fmtDuration(d)} ago`;
}

function fmtDuration(ms) {
  if (ms === null || ms === undefined) return '–';
  const n = Number(ms);
  if (n === 0) return '0';
  if (n < 1) return `${n.toFixed(2)} ms`;
  if (n < 1000) return `${n < 10 ? n.toFixed(1) : Math.round(n)} ms`;
  if (n < 60_000) return `${(n / 1000).toFixed(1)} s`;
  if (n < 3_600_000) return `${Math.round(n / 60_000)} min`;
  if (n < 86_400_000) return `${(n / 3_600_000).toFixed(1)} h`;
  return `${(n / 86_400_000).toFixed(1)} d`;
}

function fmtNum(n) {
  return Number(n ?? 0).toLocaleString();
}

function timeEl(ms) {
  if (ms === null || ms === undefined) return h('span', { class: 'muted' }, '–');
  return h('time', { datetime: new Date(Number(ms)).toISOString(), title: fmtTime(ms), dataset: { ago: String(ms) } }, fmtAgo(ms));
}

function badge(status) {
  return h('span', { class: `badge st-${status}` }, status);
}

/** `organizationMembership.created` may wrap after its dot on a phone, not mid-word. */
function breakable(type) {
  return type.split('.').flatMap((part, i) => (i === 0 ? [part] : [h('wbr'), `.${part}`]));
}

function link(href, ...children) {
  return h('a', { href, 'data-nav': '' }, ...children);
}

function entityHref(id) {
  if (!id) return null;
  for (const [kind, k] of Object.entries(ENTITY_KINDS)) if (id.startsWith(k.prefix)) return `${DASH}/entities/${kind}/${encodeURIComponent(id)}`;
  return null;
}

function entityLink(id) {
  if (!id) return h('span', { class: 'muted' }, '–');
  const href = entityHref(id);
  return href ? link(href, h('code', {}, id)) : h('code', {}, id);
}

function sectionTitle(text, ...extra) {
  return h('div', { class: 'section-head' }, h('h2', {}, text), ...extra);
}

/** replaceChildren that skips null/false (replaceChildren would print "null"). */
function fill(el, ...children) {
  el.replaceChildren(...children.flat(Infinity).filter((c) => c !== null && c !== undefined && c !== false).map((c) => (c instanceof Node ? c : document.createTextNode(String(c)))));
  return el;
}

function emptyState(text) {
  return h('div', { class: 'empty' }, text);
}

function errorBox(error) {
  return h('div', { class: 'error', role: 'alert' }, error.message ?? String(error));
}

/** Pretty JSON as DOM, with token classes for color. */
function jsonView(value) {
  const pre = h('pre', { class: 'json', tabindex: '0' });
  const walk = (v, indent) => {
    const pad = '  '.repeat(indent);
    if (v === null) return pre.append(h('span', { class: 'j-null' }, 'null'));
    if (Array.isArray(v)) {
      if (v.length === 0) return pre.append('[]');
      pre.append('[\n');
      v.forEach((x, i) => {
        pre.append(`${pad}  `);
        walk(x, indent + 1);
        pre.append(i < v.length - 1 ? ',\n' : '\n');
      });
      return pre.append(`${pad}]`);
    }
    if (typeof v === 'object') {
      const entries = Object.entries(v);
      if (entries.length === 0) return pre.append('{}');
      pre.append('{\n');
      entries.forEach(([k, x], i) => {
        pre.append(`${pad}  `, h('span', { class: 'j-key' }, JSON.stringify(k)), ': ');
        walk(x, indent + 1);
        pre.append(i < entries.length - 1 ? ',\n' : '\n');
      });
      return pre.append(`${pad}}`);
    }
    if (typeof v === 'string') return pre.append(h('span', { class: 'j-str' }, JSON.stringify(v)));
    if (typeof v === 'number') return pre.append(h('span', { class: 'j-num' }, String(v)));
    return pre.append(h('span', { class: 'j-bool' }, String(v)));
  };
  walk(value, 0);
  return pre;
}

/** Repeats `fn` every `ms` while the view is shown and the tab visible. */
function every(ms, fn) {
  let timer = null;
  let stopped = false;
  const tick = async () => {
    if (stopped) return;
    if (!document.hidden) {
      try {
        await fn();
      } catch (e) {
        console.warn(e);
      }
    }
    if (!stopped) timer = setTimeout(tick, ms);
  };
  timer = setTimeout(tick, ms);
  return () => {
    stopped = true;
    clearTimeout(timer);
  };
}

// ---------- router ----------

function navigate(href, replace = false) {
  if (replace) history.replaceState(null, '', href);
  else history.pushState(null, '', href);
  render();
}

document.addEventListener('click', (e) => {
  const a = e.target.closest('a[data-nav]');
  if (!a || e.metaKey || e.ctrlKey || e.shiftKey || e.button !== 0) return;
  e.preventDefault();
  navigate(a.getAttribute('href'));
});
window.addEventListener('popstate', render);
// Relative times stay fresh without re-fetching.
setInterval(() => document.querySelectorAll('time[data-ago]').forEach((t) => (t.textContent = fmtAgo(Number(t.dataset.ago)))), 5000);

function render() {
  stopView();
  stopView = () => {};
  const path = location.pathname.slice(DASH.length).replace(/\/+$/, '') || '/';
  const parts = path.split('/').filter(Boolean).map(decodeURIComponent);
  let section = 'overview';
  let view;
  if (parts.length === 0) view = overviewView;
  else if (parts[0] === 'events' && parts.length === 1) ((section = 'events'), (view = eventsView));
  else if (parts[0] === 'events' && parts.length === 2) ((section = 'events'), (view = () => eventView(parts[1])));
  else if (parts[0] === 'entities' && parts.length <= 2) ((section = 'entities'), (view = () => entitiesView(parts[1] ?? 'users')));
  else if (parts[0] === 'entities' && parts.length === 3) ((section = 'entities'), (view = () => entityView(parts[1], parts[2])));
  else if (parts[0] === 'reconcile' && parts.length === 1) ((section = 'reconcile'), (view = reconcileView));
  else if (parts[0] === 'actions') ((section = 'actions'), (view = actionsView));
  else view = () => fill(main, h('h1', {}, 'Not found'), h('p', {}, 'No dashboard page here. ', link(DASH, 'Go to the overview')));
  document.querySelectorAll('.topbar nav a').forEach((a) => (a.dataset.section === section ? a.setAttribute('aria-current', 'page') : a.removeAttribute('aria-current')));
  fill(main, h('p', { class: 'muted' }, 'Loading…'));
  Promise.resolve(view()).catch((e) => fill(main, errorBox(e)));
  main.focus({ preventScroll: true });
}

// ---------- overview ----------

const WINDOWS = { '1h': 3_600_000, '24h': 86_400_000, '7d': 7 * 86_400_000 };

async function overviewView() {
  document.title = 'Overview · clerk-sync';
  const params = new URLSearchParams(location.search);
  const win = WINDOWS[params.get('window')] ? params.get('window') : '24h';
  const cards = h('div', { class: 'cards' });
  const charts = h('div', { class: 'charts' });
  const reconcileSlot = h('div', { hidden: true });
  const picker = h('div', { class: 'segmented', role: 'group', 'aria-label': 'Time window' },
    Object.keys(WINDOWS).map((w) => h('button', { type: 'button', class: w === win ? 'on' : '', 'aria-pressed': String(w === win), onclick: () => navigate(`${DASH}?window=${w}`, true) }, w)));
  fill(main, h('div', { class: 'page-head' }, h('h1', {}, 'Overview'), picker), cards, reconcileSlot, charts);

  const draw = async () => {
    // The reconcile card is an extra: if its route fails, the overview still shows.
    const [st, reconcile] = await Promise.all([api(`/stats?since=${Date.now() - WINDOWS[win]}`), api('/reconcile?limit=1').catch(() => null)]);
    const failing = st.by_status.failed + st.by_status.dead;
    fill(cards, 
      card('Received', fmtNum(st.buckets.reduce((a, b) => a + b.received, 0)), `in the last ${win}`, null, `${DASH}/events`),
      card('Processed', fmtNum(st.buckets.reduce((a, b) => a + b.processed, 0)), `in the last ${win}`, 'ok'),
      card('Failing', fmtNum(failing), `${fmtNum(st.by_status.failed)} retrying · ${fmtNum(st.by_status.dead)} dead`, failing ? 'bad' : null, `${DASH}/events?status=failed,dead`),
      card('Backlog', fmtNum(st.backlog), st.backlog ? `oldest waiting ${fmtDuration(st.oldest_pending_age_ms)}` : 'nothing waiting', st.oldest_pending_age_ms > 60_000 ? 'warn' : null, `${DASH}/events?status=pending,failed`),
      card('Lag', st.lag_avg_ms === null ? '–' : fmtDuration(st.lag_avg_ms), 'receipt to first attempt done (avg)'),
      card('Stored', fmtNum(st.total), `${fmtNum(st.by_status.done)} done · ${fmtNum(st.by_status.skipped)} skipped`),
    );
    const lastRun = reconcile?.runs[0];
    reconcileSlot.hidden = !lastRun;
    fill(reconcileSlot, lastRun ? reconcileCard(lastRun) : null);
    fill(charts, 
      chartCard('Events over time', lineChart(st.buckets, st.bucket_ms, [
        ['received', 'Received', 'c-received'], ['processed', 'Processed', 'c-processed'], ['failed', 'Failed', 'c-failed'], ['dead', 'Dead', 'c-dead'],
      ])),
      chartCard('Processing lag', lineChart(st.buckets, st.bucket_ms, [['lag_avg_ms', 'Average', 'c-lag'], ['lag_max_ms', 'Max', 'c-lagmax']], fmtDuration)),
      chartCard('Backlog', lineChart(st.buckets, st.bucket_ms, [['backlog', 'Waiting events', 'c-backlog']], fmtNum, true)),
      chartCard('Events by status', statusBars(st.by_status)),
    );
  };
  await draw();
  stopView = every(10_000, draw);
}

function card(label, value, sub, tone, href) {
  const body = [h('div', { class: 'card-label' }, label), h('div', { class: 'card-value' }, value), h('div', { class: 'card-sub' }, sub)];
  return href ? h('a', { class: `card stat ${tone ?? ''}`, href, 'data-nav': '' }, body) : h('div', { class: `card stat ${tone ?? ''}` }, body);
}

function chartCard(title, chart) {
  return h('section', { class: 'card chart-card' }, h('h2', {}, title), chart);
}

/** A multi-series SVG line chart over the stats buckets, drawn by hand. */
function lineChart(buckets, bucketMs, series, fmt = fmtNum, area = false) {
  const W = 640, H = 220, L = 58, R = 12, T = 12, B = 28;
  const xs = buckets.map((b) => b.start);
  const max = Math.max(1, ...series.flatMap(([key]) => buckets.map((b) => Number(b[key] ?? 0))));
  const niceMax = nice(max);
  const x = (i) => L + (buckets.length <= 1 ? 0 : (i / (buckets.length - 1)) * (W - L - R));
  const y = (v) => T + (1 - v / niceMax) * (H - T - B);
  const svg = s('svg', { viewBox: `0 0 ${W} ${H}`, class: 'chart', role: 'img' });
  const summary = series.map(([key, label]) => `${label}: ${fmt(buckets.reduce((a, b) => Math.max(a, Number(b[key] ?? 0)), 0))} peak`).join('; ');
  svg.setAttribute('aria-label', `${summary}, over ${buckets.length} intervals of ${fmtDuration(bucketMs)}`);
  for (let i = 0; i <= 4; i++) {
    const v = (niceMax / 4) * i;
    svg.append(s('line', { x1: L, x2: W - R, y1: y(v), y2: y(v), class: 'grid' }), s('text', { x: L - 6, y: y(v) + 4, class: 'axis', 'text-anchor': 'end' }, fmt(v)));
  }
  const ticks = Math.min(6, xs.length);
  for (let i = 0; i < ticks; i++) {
    const idx = Math.round((i / Math.max(1, ticks - 1)) * (xs.length - 1));
    const d = new Date(xs[idx]);
    const label = bucketMs >= 3_600_000 * 3 ? d.toLocaleDateString(undefined, { month: 'short', day: 'numeric', hour: '2-digit' }) : d.toLocaleTimeString(undefined, { hour: '2-digit', minute: '2-digit' });
    svg.append(s('text', { x: x(idx), y: H - 8, class: 'axis', 'text-anchor': i === 0 ? 'start' : i === ticks - 1 ? 'end' : 'middle' }, label));
  }
  for (const [key, , cls] of series) {
    const pts = buckets.map((b, i) => (b[key] === null || b[key] === undefined ? null : [x(i), y(Number(b[key]))]));
    let d = '';
    let pen = false;
    for (const p of pts) {
      if (!p) { pen = false; continue; }
      d += `${pen ? 'L' : 'M'}${p[0].toFixed(1)},${p[1].toFixed(1)}`;
      pen = true;
    }
    if ((area || cls === 'c-received') && pts.length && pts.every(Boolean)) svg.append(s('path', { d: `${d}L${x(pts.length - 1)},${y(0)}L${x(0)},${y(0)}Z`, class: `area ${cls}` }));
    if (d) svg.append(s('path', { d, class: `line ${cls}` }));
    // A point with no neighbour draws no line: mark every point with a dot when data is sparse.
    const shown = pts.filter(Boolean);
    if (shown.length && shown.length <= pts.length / 3) shown.forEach(([px, py]) => svg.append(s('circle', { cx: px, cy: py, r: 3, class: `dot ${cls}` })));
  }
  // Hover targets: one column per bucket with a tooltip of every series.
  buckets.forEach((b, i) => {
    const w = (W - L - R) / Math.max(1, buckets.length);
    const title = `${new Date(b.start).toLocaleString()}\n${series.map(([key, label]) => `${label}: ${b[key] === null ? '–' : fmt(b[key])}`).join('\n')}`;
    svg.append(s('rect', { x: x(i) - w / 2, y: T, width: w, height: H - T - B, class: 'hover' }, s('title', {}, title)));
  });
  const legend = h('ul', { class: 'legend' }, series.map(([, label, cls]) => h('li', {}, h('span', { class: `swatch ${cls}` }), label)));
  return h('figure', { class: 'chart-wrap' }, svg, legend);
}

function nice(max) {
  const p = 10 ** Math.floor(Math.log10(max));
  for (const m of [1, 2, 2.5, 5, 10]) if (m * p >= max) return m * p;
  return 10 * p;
}

function statusBars(byStatus) {
  const total = Math.max(1, Object.values(byStatus).reduce((a, b) => a + b, 0));
  return h('div', { class: 'bars' }, STATUSES.map((st) => h('a', { class: 'bar-row', href: `${DASH}/events?status=${st}`, 'data-nav': '' },
    h('span', { class: 'bar-label' }, badge(st)),
    h('span', { class: 'bar-track' }, h('span', { class: `bar-fill st-${st}`, style: null, dataset: { pct: String(Math.round((byStatus[st] / total) * 100)) } })),
    h('span', { class: 'bar-value' }, fmtNum(byStatus[st])))));
}

// ---------- events ----------

const TIME_RANGES = { '': 'Any time', '15m': 'Last 15 min', '1h': 'Last hour', '24h': 'Last 24 h', '7d': 'Last 7 days' };
const RANGE_MS = { '15m': 900_000, '1h': 3_600_000, '24h': 86_400_000, '7d': 7 * 86_400_000 };

function filtersFromUrl() {
  const p = new URLSearchParams(location.search);
  return { type: p.get('type') ?? '', status: (p.get('status') ?? '').split(',').filter(Boolean), range: p.get('range') ?? '', q: p.get('q') ?? '' };
}

function filterToApi(f) {
  const q = new URLSearchParams();
  if (f.type) q.set('type', f.type);
  if (f.status.length) q.set('status', f.status.join(','));
  if (f.range && RANGE_MS[f.range]) q.set('since', String(Date.now() - RANGE_MS[f.range]));
  if (f.q) q.set('q', f.q);
  return q;
}

function filterToJson(f) {
  const filter = {};
  if (f.type) filter.types = f.type.split(',').map((t) => t.trim()).filter(Boolean);
  if (f.status.length) filter.statuses = f.status;
  if (f.range && RANGE_MS[f.range]) filter.since = Date.now() - RANGE_MS[f.range];
  if (f.q) filter.search = f.q;
  return filter;
}

function describeFilter(f) {
  const parts = [];
  if (f.status.length) parts.push(`status ${f.status.join(' or ')}`);
  if (f.type) parts.push(`type ${f.type}`);
  if (f.range) parts.push(TIME_RANGES[f.range].toLowerCase());
  if (f.q) parts.push(`matching ${f.q}`);
  return parts.join(', ');
}

async function eventsView() {
  document.title = 'Events · clerk-sync';
  const f = filtersFromUrl();
  const setFilters = (next) => {
    const q = new URLSearchParams();
    if (next.type) q.set('type', next.type);
    if (next.status.length) q.set('status', next.status.join(','));
    if (next.range) q.set('range', next.range);
    if (next.q) q.set('q', next.q);
    navigate(`${DASH}/events${q.toString() ? `?${q}` : ''}`, true);
  };

  const search = h('input', { type: 'search', name: 'q', value: f.q, placeholder: 'svix-id (msg_…) or entity id (user_…, org_…)', 'aria-label': 'Search by svix-id or entity id' });
  const type = h('input', { type: 'text', name: 'type', value: f.type, placeholder: 'e.g. user.updated', 'aria-label': 'Event type' });
  const range = h('select', { name: 'range', 'aria-label': 'Time' }, Object.entries(TIME_RANGES).map(([v, label]) => h('option', { value: v, selected: v === f.range }, label)));
  const chips = h('div', { class: 'chips', role: 'group', 'aria-label': 'Status' }, STATUSES.map((st) => h('label', { class: `chip st-${st}` },
    h('input', { type: 'checkbox', value: st, checked: f.status.includes(st), onchange: () => apply() }), st)));
  const apply = () => setFilters({ q: search.value.trim(), type: type.value.trim(), range: range.value, status: [...chips.querySelectorAll('input:checked')].map((i) => i.value) });
  const form = h('form', { class: 'filters', role: 'search', onsubmit: (e) => { e.preventDefault(); apply(); } },
    search, type, range, h('button', { type: 'submit', class: 'primary' }, 'Apply'), chips,
    (f.q || f.type || f.range || f.status.length) ? h('button', { type: 'button', class: 'ghost', onclick: () => setFilters({ q: '', type: '', range: '', status: [] }) }, 'Clear') : null);
  range.addEventListener('change', apply);

  const hasFilter = Boolean(f.q || f.type || f.range || f.status.length);
  const live = h('span', { class: 'live on', title: 'New events appear automatically' }, h('span', { class: 'dot', 'aria-hidden': 'true' }), 'Live');
  const bulk = h('button', { type: 'button', class: 'secondary', disabled: !hasFilter, title: hasFilter ? 'Re-queue every event matching these filters' : 'Choose a filter first (e.g. status dead)', onclick: () => bulkReplay(f, progress) }, 'Replay matching…');
  const progress = h('div', { class: 'progress-area' });
  const tbody = h('tbody');
  const table = h('table', { class: 'events' },
    h('caption', { class: 'sr-only' }, 'Stored webhook events, newest first'),
    h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'Status'), h('th', { scope: 'col' }, 'Type'), h('th', { scope: 'col', class: 'hide-sm' }, 'Received'), h('th', { scope: 'col', class: 'hide-sm' }, 'Entity'), h('th', { scope: 'col', class: 'num hide-sm' }, 'Attempts'), h('th', { scope: 'col', class: 'hide-md' }, 'svix-id'))),
    tbody);
  const more = h('button', { type: 'button', class: 'ghost wide' }, 'Load older events');
  const count = h('span', { class: 'muted' });
  fill(main, 
    h('div', { class: 'page-head' }, h('h1', {}, 'Events'), h('div', { class: 'row' }, live, bulk)),
    form, progress,
    h('div', { class: 'card table-card' }, h('div', { class: 'table-scroll' }, table)),
    h('div', { class: 'row between' }, count, more),
  );

  const base = filterToApi(f);
  let rows = [];
  let cursor = null;
  let seen = null;
  const draw = () => {
    fill(tbody, ...(rows.length ? rows.map((e) => eventRow(e, seen && !seen.has(e.svix_id))) : [h('tr', {}, h('td', { colspan: 6 }, emptyState(hasFilter ? 'No events match these filters.' : 'No events yet. Point a Clerk webhook endpoint at this server, or run `clerk-sync trigger`.')))]));
    more.hidden = !cursor;
    count.textContent = rows.length ? `${fmtNum(rows.length)} shown` : '';
  };
  const first = await api(`/events?${base}&limit=50`);
  rows = first.events;
  cursor = first.nextCursor;
  draw();
  seen = new Set(rows.map((e) => e.svix_id));
  more.addEventListener('click', async () => {
    const page = await api(`/events?${base}&limit=50&cursor=${encodeURIComponent(cursor)}`);
    rows = rows.concat(page.events.filter((e) => !rows.some((r) => r.svix_id === e.svix_id)));
    cursor = page.nextCursor;
    page.events.forEach((e) => seen.add(e.svix_id));
    draw();
  });
  // Live: re-read the newest page; rows already loaded below it keep their place.
  stopView = every(2000, async () => {
    const top = await api(`/events?${filterToApi(f)}&limit=50`);
    if (!top.nextCursor) {
      // Everything matching fits the first page: it is the whole truth.
      rows = top.events;
      cursor = null;
    } else {
      const topIds = new Set(top.events.map((e) => e.svix_id));
      const last = top.events[top.events.length - 1];
      const older = rows.filter((r) => !topIds.has(r.svix_id) && (r.received_at < last.received_at || (r.received_at === last.received_at && r.svix_id < last.svix_id)));
      rows = top.events.concat(older);
      if (older.length === 0) cursor = top.nextCursor;
    }
    draw();
    rows.forEach((e) => seen.add(e.svix_id));
  });
}

function eventRow(e, isNew) {
  const href = `${DASH}/events/${encodeURIComponent(e.svix_id)}`;
  return h('tr', { class: isNew ? 'new' : '', dataset: { id: e.svix_id, status: e.status } },
    h('td', {}, badge(e.status)),
    h('td', { class: 'type' }, link(href, breakable(e.type)), e.last_error && (e.status === 'failed' || e.status === 'dead') ? h('div', { class: 'row-error', title: e.last_error }, e.last_error) : null,
      h('div', { class: 'show-sm muted small' }, timeEl(e.received_at))),
    h('td', { class: 'when hide-sm' }, timeEl(e.received_at)),
    h('td', { class: 'hide-sm' }, entityLink(e.entity_id)),
    h('td', { class: 'num hide-sm' }, String(e.attempts)),
    h('td', { class: 'hide-md' }, h('code', { class: 'id' }, e.svix_id)));
}

async function bulkReplay(f, area) {
  const filter = filterToJson(f);
  const { matched } = await api('/replay', { method: 'POST', body: { filter, dry_run: true } });
  if (matched === 0) return toast('No events match these filters.');
  const ok = await confirmDialog('Replay matching events?', `Re-queue ${fmtNum(matched)} event${matched === 1 ? '' : 's'} (${describeFilter(f)}) for processing now? The sync keeps newer data, so replaying is safe.`, `Replay ${fmtNum(matched)}`);
  if (!ok) return;
  let { job } = await api('/replay', { method: 'POST', body: { filter } });
  const bar = h('progress', { max: String(Math.max(1, job.total)), value: String(job.requeued) });
  const label = h('span', {}, 'Starting…');
  fill(area, h('div', { class: 'card progress-card', role: 'status' }, h('strong', {}, 'Replaying'), bar, label));
  while (job.state === 'running') {
    await new Promise((r) => setTimeout(r, 300));
    job = (await api(`/replay/${encodeURIComponent(job.id)}`)).job;
    bar.max = Math.max(1, job.total);
    bar.value = job.requeued;
    label.textContent = `${fmtNum(job.requeued)} of ${fmtNum(job.total)} re-queued`;
  }
  if (job.state === 'failed') {
    label.textContent = `Failed after ${fmtNum(job.requeued)} of ${fmtNum(job.total)}: ${job.error}`;
    toast('Replay failed', 'bad');
  } else {
    const events = `${fmtNum(job.requeued)} event${job.requeued === 1 ? '' : 's'}`;
    label.textContent = `Done: ${events} re-queued; the worker is processing ${job.requeued === 1 ? 'it' : 'them'}.`;
    toast(`Re-queued ${events}`, 'ok');
  }
}

// ---------- one event ----------

async function eventView(id) {
  document.title = `${id} · clerk-sync`;
  const container = h('div', { class: 'stack' });
  fill(main, h('nav', { class: 'crumbs', 'aria-label': 'Breadcrumb' }, link(`${DASH}/events`, 'Events'), ' / ', h('span', {}, id)), container);
  let lastKey = '';
  const draw = async () => {
    let shown;
    try {
      shown = await api(`/events/${encodeURIComponent(id)}`);
    } catch (e) {
      if (e.status === 404) return fill(container, h('h1', {}, 'Event not found'), h('p', {}, `No stored event has svix-id ${id}.`));
      throw e;
    }
    const { event: e, related } = shown;
    const key = `${e.status}:${e.attempts}:${e.attempt_log.length}:${JSON.stringify(related).length}`;
    if (key === lastKey) return;
    lastKey = key;
    const replay = h('button', { type: 'button', class: 'primary', onclick: async () => {
      const ok = await confirmDialog('Replay this event?', `Process ${e.type} (${e.svix_id}) again now? The sync keeps newer data, so replaying is safe.`, 'Replay');
      if (!ok) return;
      replay.disabled = true;
      try {
        await api(`/events/${encodeURIComponent(id)}/replay`, { method: 'POST', body: {} });
        toast('Event re-queued', 'ok');
        lastKey = '';
        await draw();
      } catch (err) {
        toast(err.message, 'bad');
        replay.disabled = false;
      }
    } }, 'Replay');
    fill(container, 
      h('div', { class: 'page-head' }, h('div', {}, h('h1', {}, e.type, ' ', badge(e.status)), h('p', { class: 'muted' }, h('code', {}, e.svix_id))), replay),
      e.last_error && e.status !== 'done' ? h('div', { class: 'error', role: 'alert' }, h('strong', {}, 'Last error: '), e.last_error) : null,
      h('div', { class: 'grid-2' },
        h('section', { class: 'card' }, h('h2', {}, 'Summary'), h('dl', { class: 'facts' },
          fact('Status', badge(e.status)),
          fact('Entity', entityLink(e.entity_id)),
          fact('Received', timeEl(e.received_at), h('span', { class: 'muted small' }, ` ${fmtTime(e.received_at)}`)),
          fact('Processed', timeEl(e.processed_at)),
          e.status === 'failed' ? fact('Next attempt', timeEl(e.next_attempt_at)) : null,
          fact('Attempts', String(e.attempts)),
          fact('Event time', e.event_timestamp ? fmtTime(e.event_timestamp) : '–'),
          fact('Instance', e.instance_id ? h('code', {}, e.instance_id) : '–'),
          fact('Worker', e.processed_by ? h('code', {}, e.processed_by) : '–'))),
        h('section', { class: 'card' }, h('h2', {}, 'Headers'), h('dl', { class: 'facts mono' }, Object.entries(e.headers).map(([k, v]) => fact(k, v))))),
      h('section', { class: 'card' }, h('h2', {}, 'Processing attempts'), attemptsTable(e.attempt_log)),
      h('section', { class: 'card' }, h('h2', {}, 'Rows it concerns'), relatedView(e.entity_id, related)),
      h('section', { class: 'card' }, h('div', { class: 'section-head' }, h('h2', {}, 'Payload'), h('button', { type: 'button', class: 'ghost small', onclick: () => navigator.clipboard?.writeText(JSON.stringify(e.payload, null, 2)).then(() => toast('Payload copied')) }, 'Copy')), jsonView(e.payload)),
    );
  };
  await draw();
  stopView = every(1500, draw);
}

function fact(label, ...value) {
  return h('div', { class: 'fact' }, h('dt', {}, label), h('dd', {}, ...value));
}

function attemptsTable(attempts) {
  if (!attempts.length) return emptyState('Not processed yet.');
  return h('div', { class: 'table-scroll' }, h('table', { class: 'attempts' },
    h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, '#'), h('th', { scope: 'col' }, 'Started'), h('th', { scope: 'col', class: 'num' }, 'Duration'), h('th', { scope: 'col' }, 'Outcome'), h('th', { scope: 'col' }, 'Error'))),
    h('tbody', {}, attempts.map((a, i) => h('tr', { dataset: { outcome: a.outcome } },
      // A replay starts a fresh retry budget (attempt 1 again), so number the rows by history.
      h('td', { title: `attempt ${a.attempt} of its run` }, String(i + 1)), h('td', { title: fmtTime(a.started_at) }, fmtTime(a.started_at)), h('td', { class: 'num' }, fmtDuration(a.duration_ms)),
      h('td', {}, badge(a.outcome)), h('td', { class: 'wrap error-cell' }, a.error ?? h('span', { class: 'muted' }, '–')))))));
}

function relatedView(entityId, related) {
  if (!entityId) return emptyState('This event names no entity.');
  if (!related.length) return emptyState(`No synced row has id ${entityId} (not synced yet, or this type is not stored in a table).`);
  return h('div', { class: 'related' }, related.map(({ table, row }) => {
    const kind = TABLE_KIND[table];
    const summary = Object.entries(row).filter(([k, v]) => k !== 'payload' && v !== null && typeof v !== 'object').slice(0, 12);
    return h('div', { class: 'related-row' },
      h('div', { class: 'section-head' }, h('h3', {}, h('code', {}, table)), kind ? link(`${DASH}/entities/${kind}/${encodeURIComponent(row.id)}`, 'Open entity →') : null),
      h('dl', { class: 'facts compact' }, summary.map(([k, v]) => fact(k, /_at$/.test(k) && typeof v === 'number' ? fmtTime(v) : String(v)))),
      h('details', {}, h('summary', {}, 'Full row'), jsonView(row)));
  }));
}

// ---------- entities ----------

async function entitiesView(kind) {
  const spec = ENTITY_KINDS[kind];
  if (!spec) return navigate(`${DASH}/entities/users`, true);
  document.title = `${spec.title} · clerk-sync`;
  const q = new URLSearchParams(location.search).get('q') ?? '';
  const search = h('input', { type: 'search', value: q, placeholder: kind === 'users' ? 'id, email, name or username' : kind === 'organizations' ? 'id, name or slug' : 'id, organization, user or role', 'aria-label': `Search ${spec.title.toLowerCase()}` });
  const tabs = h('nav', { class: 'tabs', 'aria-label': 'Entity kinds' }, Object.entries(ENTITY_KINDS).map(([k, v]) => h('a', { href: `${DASH}/entities/${k}`, 'data-nav': '', 'aria-current': k === kind ? 'page' : null, class: k === kind ? 'on' : '' }, v.title)));
  const tbody = h('tbody');
  const more = h('button', { type: 'button', class: 'ghost wide' }, 'Load more');
  fill(main, 
    h('div', { class: 'page-head' }, h('h1', {}, 'Entities')), tabs,
    h('form', { class: 'filters', role: 'search', onsubmit: (e) => { e.preventDefault(); navigate(`${DASH}/entities/${kind}${search.value.trim() ? `?q=${encodeURIComponent(search.value.trim())}` : ''}`, true); } }, search, h('button', { type: 'submit', class: 'primary' }, 'Search')),
    h('div', { class: 'card table-card' }, h('div', { class: 'table-scroll' }, h('table', {}, h('thead', {}, h('tr', {}, spec.columns.map(([, label], i) => h('th', { scope: 'col', class: i > 2 ? 'hide-sm' : '' }, label)))), tbody))),
    more);
  let cursor = null;
  const load = async () => {
    const page = await api(`/entities/${kind}?limit=50${q ? `&q=${encodeURIComponent(q)}` : ''}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
    if (!cursor && page.rows.length === 0) tbody.append(h('tr', {}, h('td', { colspan: spec.columns.length }, emptyState(q ? 'Nothing matches.' : 'No rows synced yet.'))));
    for (const row of page.rows) tbody.append(entityRow(kind, spec, row));
    cursor = page.nextCursor;
    more.hidden = !cursor;
  };
  more.addEventListener('click', load);
  await load();
}

function cell(kind, key, row) {
  const v = key === 'name' && kind === 'users' ? [row.first_name, row.last_name].filter(Boolean).join(' ') || row.username : row[key];
  if (key === 'id') return link(`${DASH}/entities/${kind}/${encodeURIComponent(row.id)}`, h('code', {}, row.id));
  if (key === 'organization_id' || key === 'user_id') return entityLink(v);
  if (/_at$/.test(key)) return v ? timeEl(v) : h('span', { class: 'muted' }, '–');
  return v === null || v === undefined || v === '' ? h('span', { class: 'muted' }, '–') : String(v);
}

function entityRow(kind, spec, row) {
  return h('tr', { class: row.deleted_at ? 'deleted' : '' }, spec.columns.map(([key], i) => h('td', { class: i > 2 ? 'hide-sm' : '' }, cell(kind, key, row))));
}

async function entityView(kind, id) {
  const spec = ENTITY_KINDS[kind];
  document.title = `${id} · clerk-sync`;
  const { row, events } = await api(`/entities/${kind}/${encodeURIComponent(id)}?limit=100`);
  const title = kind === 'users' ? [row.first_name, row.last_name].filter(Boolean).join(' ') || row.primary_email_address || id : row.name ?? id;
  const summary = Object.entries(row).filter(([k, v]) => k !== 'payload' && v !== null && typeof v !== 'object');
  fill(main, 
    h('nav', { class: 'crumbs', 'aria-label': 'Breadcrumb' }, link(`${DASH}/entities/${kind}`, spec?.title ?? kind), ' / ', h('span', {}, id)),
    h('div', { class: 'page-head' }, h('div', {}, h('h1', {}, title, row.deleted_at ? h('span', { class: 'badge st-dead' }, 'deleted') : null), h('p', { class: 'muted' }, h('code', {}, id)))),
    h('div', { class: 'grid-2' },
      h('section', { class: 'card' }, h('h2', {}, 'Current row'), h('dl', { class: 'facts' }, summary.map(([k, v]) => fact(k, (k === 'organization_id' || k === 'user_id' || k === 'created_by') ? entityLink(v) : /_at$/.test(k) && typeof v === 'number' ? fmtTime(v) : String(v))))),
      h('section', { class: 'card' }, h('h2', {}, 'Event history'), events.events.length ? h('ol', { class: 'timeline' }, events.events.map((e) => h('li', {},
        badge(e.status), ' ', link(`${DASH}/events/${encodeURIComponent(e.svix_id)}`, e.type), ' ', h('span', { class: 'muted small' }, timeEl(e.received_at))))) : emptyState('No stored events for this id.'))),
    h('section', { class: 'card' }, h('h2', {}, 'Latest payload'), jsonView(row.payload ?? null)));
}

// ---------- reconcile ----------

const RECONCILE_DOCS = 'https://github.com/clerk-sync/clerk-sync/blob/main/docs/cli.md#reconcile';
/** The per-resource counts, as the columns of a run's table. */
const RECONCILE_COLUMNS = [['listed', 'Listed'], ['in_sync', 'In sync'], ['newer_in_clerk', 'Newer in Clerk'], ['missing_locally', 'Missing locally'], ['gone_from_clerk', 'Gone from Clerk'], ['local_newer', 'Local newer'], ['deleted', 'Deleted']];
/** What differed from Clerk when the run looked (DRIFT_KINDS of src/reconcile/counts.ts). */
const DRIFT_KINDS = [['newer_in_clerk', 'newer in Clerk'], ['missing_locally', 'missing locally'], ['gone_from_clerk', 'gone from Clerk'], ['local_newer', 'local newer']];
/** A run's status as a tone: succeeded green, capped and failed red, interrupted amber, running neutral. */
const RUN_TONES = { succeeded: 'ok', capped: 'bad', failed: 'bad', interrupted: 'warn', running: null };

function runBadge(status) {
  return h('span', { class: `badge rc-${status}` }, status);
}

function runTotals(run) {
  const t = { listed: 0, in_sync: 0, newer_in_clerk: 0, missing_locally: 0, gone_from_clerk: 0, local_newer: 0, deleted: 0, failed: 0 };
  for (const counts of Object.values(run.resources)) for (const k of Object.keys(t)) t[k] += Number(counts[k] ?? 0);
  t.drift = DRIFT_KINDS.reduce((a, [k]) => a + t[k], 0);
  return t;
}

function driftText(t) {
  const parts = DRIFT_KINDS.filter(([k]) => t[k] > 0).map(([k, label]) => `${fmtNum(t[k])} ${label}`);
  return parts.length ? parts.join(' · ') : 'no drift';
}

/** How long it ran: to its end, to now while it runs, to its last heartbeat when it was interrupted. */
function runDuration(run) {
  const end = run.finishedAt ?? (run.status === 'running' ? Date.now() : run.heartbeatAt);
  return fmtDuration(Math.max(0, end - run.startedAt));
}

/** The overview's line: when the newest run ended (or started, while it runs), and how. */
function reconcileCard(run) {
  const detail = run.status === 'running' ? null : h('span', { class: 'muted' }, ` · ${run.mode === 'dry-run' ? 'dry run, ' : ''}${driftText(runTotals(run))}`);
  return h('a', { class: `card reconcile-card ${RUN_TONES[run.status] ?? ''}`, href: `${DASH}/reconcile`, 'data-nav': '' },
    h('span', {}, h('strong', {}, 'Last reconcile: '), timeEl(run.finishedAt ?? run.startedAt), ', ', runBadge(run.status), detail),
    h('span', { class: 'more', 'aria-hidden': 'true' }, 'Reconcile runs →'));
}

function resourceNote(counts, run) {
  const parts = [];
  if (counts.note) parts.push(counts.note);
  if (counts.failed) parts.push(`${fmtNum(counts.failed)} refused by the sync (see the error)`);
  if (!counts.complete) parts.push(run.status === 'running' ? 'listing…' : 'the listing did not finish');
  return parts.length ? parts.join('; ') : h('span', { class: 'muted' }, '–');
}

function resourcesTable(run) {
  const entries = Object.entries(run.resources);
  if (!entries.length) return emptyState('This run recorded no resources.');
  const t = runTotals(run);
  const head = h('tr', {}, h('th', { scope: 'col' }, 'Resource'), RECONCILE_COLUMNS.map(([, label]) => h('th', { scope: 'col', class: 'num' }, label)), h('th', { scope: 'col' }, 'Note'));
  return h('div', { class: 'table-scroll' }, h('table', { class: 'resources' },
    h('caption', { class: 'sr-only' }, `What run ${run.id} found, by resource`),
    h('thead', {}, head),
    h('tbody', {}, entries.map(([resource, c]) => h('tr', { class: c.capped ? 'capped' : '', dataset: { resource } },
      h('th', { scope: 'row' }, resource),
      RECONCILE_COLUMNS.map(([k]) => h('td', { class: `num${DRIFT_KINDS.some(([d]) => d === k) && c[k] > 0 ? ' drift' : ''}` }, fmtNum(c[k]))),
      h('td', { class: `wrap note${c.capped ? ' capped' : ''}` }, resourceNote(c, run))))),
    entries.length > 1 ? h('tfoot', {}, h('tr', {}, h('th', { scope: 'row' }, 'All'), RECONCILE_COLUMNS.map(([k]) => h('td', { class: 'num' }, fmtNum(t[k]))), h('td'))) : null));
}

function runsTable(runs, selected) {
  return h('div', { class: 'table-scroll' }, h('table', { class: 'runs' },
    h('caption', { class: 'sr-only' }, 'Reconcile runs, newest first'),
    h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'Started'), h('th', { scope: 'col', class: 'hide-sm' }, 'Trigger'), h('th', { scope: 'col' }, 'Mode'), h('th', { scope: 'col' }, 'Status'),
      h('th', { scope: 'col', class: 'num hide-sm' }, 'Duration'), h('th', { scope: 'col', class: 'num' }, 'Drift'), h('th', { scope: 'col', class: 'num hide-sm' }, 'Deleted'))),
    h('tbody', {}, runs.map((run) => {
      const t = runTotals(run);
      return h('tr', { class: run.id === selected.id ? 'selected' : '', dataset: { id: String(run.id), status: run.status }, 'aria-current': run.id === selected.id ? 'true' : null },
        h('td', { class: 'when' }, link(`${DASH}/reconcile?run=${run.id}`, timeEl(run.startedAt)), h('div', { class: 'muted small hide-sm' }, fmtTime(run.startedAt))),
        h('td', { class: 'hide-sm' }, run.trigger),
        h('td', { class: 'mode' }, run.mode),
        h('td', {}, runBadge(run.status)),
        h('td', { class: 'num hide-sm' }, runDuration(run)),
        h('td', { class: 'num', title: driftText(t) }, fmtNum(t.drift), t.drift ? h('div', { class: 'muted small hide-sm' }, driftText(t)) : null),
        h('td', { class: 'num hide-sm' }, fmtNum(t.deleted)));
    }))));
}

function reconcileEmpty() {
  return h('section', { class: 'card empty-card' },
    h('h2', {}, 'No reconcile has run yet'),
    h('p', {}, 'A reconcile lists what Clerk holds through its API, compares it with the synced tables, and applies what the webhooks missed. Each run shows up here.'),
    h('p', {}, 'Run one now with ', h('code', {}, 'clerk-sync reconcile'), ', or let the server run one every day with ', h('code', {}, 'clerk-sync serve --reconcile-every 24h'), '.'),
    h('p', {}, 'How it works and its options: ', h('a', { href: RECONCILE_DOCS, rel: 'noopener noreferrer' }, 'docs/cli.md, reconcile'), '.'));
}

async function reconcileView() {
  document.title = 'Reconcile · clerk-sync';
  const wanted = Number(new URLSearchParams(location.search).get('run'));
  const head = h('div', { class: 'page-head' }, h('h1', {}, 'Reconcile'));
  const container = h('div', { class: 'stack' });
  fill(main, head, container);
  let lastKey = '';
  const draw = async () => {
    const data = await api('/reconcile?limit=50');
    const key = JSON.stringify(data);
    if (key === lastKey) return;
    lastKey = key;
    const { runs, running, lastSuccessAt } = data;
    fill(head, h('h1', {}, 'Reconcile'),
      running ? h('span', { class: 'live', title: `${running.mode} run ${running.id}, started by ${running.trigger}` }, h('span', { class: 'dot', 'aria-hidden': 'true' }), 'Running since ', timeEl(running.startedAt))
        : h('span', { class: 'muted' }, lastSuccessAt ? ['Last success ', timeEl(lastSuccessAt)] : runs.length ? 'No successful run yet' : null));
    if (!runs.length) return fill(container, reconcileEmpty());
    const run = runs.find((r) => r.id === wanted) ?? runs[0];
    const t = runTotals(run);
    fill(container,
      h('section', { class: 'card', dataset: { run: String(run.id) } },
        h('div', { class: 'section-head run-head' }, h('h2', {}, run === runs[0] ? 'Newest run' : `Run ${run.id}`, ' ', runBadge(run.status)),
          h('span', { class: 'muted small' }, `${run.mode} · ${run.trigger} · started ${fmtTime(run.startedAt)} · ${runDuration(run)} · ${driftText(t)}`)),
        run.error ? h('div', { class: 'error', role: 'alert' }, h('strong', {}, 'Error: '), run.error) : null,
        resourcesTable(run)),
      h('section', { class: 'card table-card' }, h('h2', { class: 'table-title' }, 'Runs'), runsTable(runs, run)));
  };
  await draw();
  stopView = every(5000, draw);
}

// ---------- activity ----------

async function actionsView() {
  document.title = 'Activity · clerk-sync';
  const { actions } = await api('/actions?limit=100');
  const label = { login: 'Logged in', login_failed: 'Failed login', replay: 'Replayed event', replay_filter: 'Replayed matching events' };
  fill(main, 
    h('div', { class: 'page-head' }, h('h1', {}, 'Activity')),
    h('p', { class: 'muted' }, 'Every dashboard and admin API action, newest first (table clerk_sync_admin_actions).'),
    h('div', { class: 'card table-card' }, actions.length ? h('div', { class: 'table-scroll' }, h('table', {},
      h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'When'), h('th', { scope: 'col' }, 'Action'), h('th', { scope: 'col' }, 'Target'), h('th', { scope: 'col', class: 'num' }, 'Events'), h('th', { scope: 'col', class: 'hide-sm' }, 'By'), h('th', { scope: 'col', class: 'hide-sm' }, 'From'))),
      h('tbody', {}, actions.map((a) => h('tr', {},
        h('td', {}, timeEl(a.at)), h('td', {}, label[a.action] ?? a.action),
        h('td', { class: 'wrap' }, a.action === 'replay' ? link(`${DASH}/events/${encodeURIComponent(a.target)}`, h('code', {}, a.target)) : a.target ? h('code', {}, a.target) : h('span', { class: 'muted' }, '–')),
        h('td', { class: 'num' }, a.count ?? '–'), h('td', { class: 'hide-sm' }, a.actor), h('td', { class: 'hide-sm' }, a.remote_address ?? '–')))))) : emptyState('No actions yet.')));
}

// Bars get their width from data-pct (the CSP forbids inline styles, so set them from script).
new MutationObserver(() => document.querySelectorAll('.bar-fill[data-pct]').forEach((el) => {
  el.style.width = `${el.dataset.pct}%`;
  delete el.dataset.pct;
})).observe(main, { childList: true, subtree: true });

render();
