import { readFile } from 'node:fs/promises';
import { SECURITY_HEADERS } from '../http.js';
import { escapeHtml } from './html.js';

/**
 * The dashboard's HTML: a shell page whose script (static/app.js, plain JS, no build step) draws
 * every view from the admin API, plus the login and "turned off" pages. The static files ship in
 * dist/admin/dashboard/static (copied by `npm run build`).
 */

const STATIC_DIR = new URL('./static/', import.meta.url);
const CONTENT_TYPES: Record<string, string> = { js: 'text/javascript; charset=utf-8', css: 'text/css; charset=utf-8', svg: 'image/svg+xml' };
// No inline script or style anywhere: the CSP forbids them, so injected markup cannot run.
const CSP = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'";
const HTML_HEADERS = { 'content-type': 'text/html; charset=utf-8', 'content-security-policy': CSP, ...SECURITY_HEADERS };
const assetCache = new Map<string, Buffer>();

function page(title: string, base: string, body: string, extraHead = ''): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title>
<link rel="icon" href="${base}/dashboard/static/icon.svg" type="image/svg+xml">
<link rel="stylesheet" href="${base}/dashboard/static/app.css">
${extraHead}
</head>
<body>
${body}
</body>
</html>`;
}

/** The single-page app shell; `csrf` goes in a meta tag the script reads for POSTs. */
export function dashboardShell(options: { base: string; csrf: string }): Response {
  const { base, csrf } = options;
  const head = `<meta name="clerk-sync-base" content="${escapeHtml(base)}">
<meta name="clerk-sync-csrf" content="${escapeHtml(csrf)}">
<script type="module" src="${base}/dashboard/static/app.js"></script>`;
  const body = `<a class="skip" href="#main">Skip to content</a>
<header class="topbar">
  <a class="brand" href="${base}/dashboard" data-nav><span class="logo" aria-hidden="true"></span>clerk-sync</a>
  <nav aria-label="Sections">
    <a href="${base}/dashboard" data-nav data-section="overview">Overview</a>
    <a href="${base}/dashboard/events" data-nav data-section="events">Events</a>
    <a href="${base}/dashboard/entities/users" data-nav data-section="entities">Entities</a>
    <a href="${base}/dashboard/reconcile" data-nav data-section="reconcile">Reconcile</a>
    <a href="${base}/dashboard/actions" data-nav data-section="actions">Activity</a>
  </nav>
  <form method="post" action="${base}/dashboard/logout" class="logout"><input type="hidden" name="csrf" value="${escapeHtml(csrf)}"><button type="submit" class="ghost">Log out</button></form>
</header>
<main id="main" tabindex="-1"><p class="muted">Loading…</p></main>
<div id="toast" role="status" aria-live="polite"></div>
<dialog id="confirm"><form method="dialog"><h2 id="confirm-title">Confirm</h2><p id="confirm-text"></p><div class="row end"><button value="cancel" class="ghost">Cancel</button><button value="ok" id="confirm-ok" class="primary">Confirm</button></div></form></dialog>`;
  return new Response(page('clerk-sync', base, body, head), { status: 200, headers: HTML_HEADERS });
}

export function loginPage(dashboardBase: string, error: string | null, status: number, next = ''): Response {
  const base = dashboardBase.replace(/\/dashboard$/, '');
  const body = `<main class="login" id="main">
<form method="post" action="${escapeHtml(dashboardBase)}/login" class="card login-card">
  <h1><span class="logo" aria-hidden="true"></span>clerk-sync</h1>
  <p class="muted">Enter the admin token (the value of <code>CLERK_SYNC_ADMIN_TOKEN</code>) to open the dashboard.</p>
  ${error ? `<p class="error" role="alert">${escapeHtml(error)}</p>` : ''}
  <label for="token">Admin token</label>
  <input id="token" name="token" type="password" autocomplete="current-password" required autofocus>
  <input type="hidden" name="next" value="${escapeHtml(next)}">
  <button type="submit" class="primary wide">Log in</button>
</form>
</main>`;
  return new Response(page('Log in · clerk-sync', base, body), { status, headers: HTML_HEADERS });
}

export function disabledPage(envName: string): Response {
  const body = `<main class="login" id="main"><div class="card login-card">
<h1>Dashboard off</h1>
<p>The clerk-sync dashboard and admin API are turned off. Set <code>${envName}</code> (at least 16 random characters, e.g. <code>openssl rand -hex 32</code>) and restart <code>clerk-sync serve</code> to turn them on.</p>
</div></main>`;
  // No stylesheet link: assets are refused too while the dashboard is off.
  return new Response(page('Dashboard off · clerk-sync', '', body).replace(/<link[^>]*>\n/g, ''), { status: 404, headers: HTML_HEADERS });
}

/** A file of static/, by name; 404 for anything else. */
export async function dashboardAsset(name: string): Promise<Response> {
  const m = /^([a-z0-9-]+)\.(js|css|svg)$/.exec(name);
  if (!m) return new Response('not found', { status: 404, headers: { 'content-type': 'text/plain' } });
  let content = assetCache.get(name);
  if (!content) {
    try {
      content = await readFile(new URL(name, STATIC_DIR));
    } catch {
      return new Response('not found', { status: 404, headers: { 'content-type': 'text/plain' } });
    }
    assetCache.set(name, content);
  }
  return new Response(new Uint8Array(content), { status: 200, headers: { 'content-type': CONTENT_TYPES[m[2]!]!, 'cache-control': 'no-cache', 'x-content-type-options': 'nosniff' } });
}
