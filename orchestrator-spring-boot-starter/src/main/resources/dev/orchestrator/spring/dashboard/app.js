// The dashboard's entry: reads its config and the service's pipelines, routes the hash (#/,
// #/tasks, #/task/<id>, #/task/<id>/lineage, #/runs, #/run/<id>, #/schedules, #/new), and keeps
// the live connection's status in the header.

import { setBase, optional } from './api.js';
import { h, clear, drawn } from './dom.js';
import * as live from './live.js';
import * as overview from './overview.js';
import * as tasks from './tasks.js';
import * as detail from './detail.js';
import * as lineage from './lineage.js';
import * as create from './create.js';
import * as schedules from './schedules.js';
import * as runs from './runs.js';
import * as run from './run.js';

const ctx = { readOnly: true, pipelines: null };
let cleanup = null;

window.addEventListener('error', (e) => {
  (window.__dashboardErrors = window.__dashboardErrors || []).push(String(e.message));
});
window.addEventListener('unhandledrejection', (e) => {
  (window.__dashboardErrors = window.__dashboardErrors || []).push(String(e.reason));
});

function parse() {
  const raw = location.hash.replace(/^#/, '') || '/';
  const [path, q] = raw.split('?');
  const parts = path.split('/').filter(Boolean);
  return { parts, params: new URLSearchParams(q || '') };
}

async function route() {
  if (cleanup) cleanup();
  cleanup = null;
  const main = document.getElementById('main');
  const { parts, params } = parse();
  let view = overview;
  let nav = 'overview';
  let arg = null;
  if (parts[0] === 'tasks') {
    view = tasks;
    nav = 'tasks';
  } else if (parts[0] === 'task' && parts[1]) {
    arg = parts[1];
    view = parts[2] === 'lineage' ? lineage : detail;
    nav = 'tasks';
  } else if (parts[0] === 'runs' && parts.length === 1 && ctx.pipelines) {
    view = runs;
    nav = 'runs';
  } else if (parts[0] === 'run' && parts[1] && parts.length === 2 && ctx.pipelines) {
    arg = parts[1];
    view = run;
    nav = 'runs';
  } else if (parts[0] === 'schedules' && parts.length === 1) {
    view = schedules;
    nav = 'schedules';
  } else if (parts[0] === 'new' && !ctx.readOnly) {
    view = create;
    nav = 'new';
  } else if (parts.length) {
    clear(main, h('p.state.error', 'No such page. '), h('a', { href: '#/' }, 'Back to the overview'));
    return;
  }
  for (const a of document.querySelectorAll('[data-nav]')) {
    if (a.dataset.nav === nav) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  }
  clear(main, h('p.state', 'Loading…'));
  current = view;
  cleanup = (await view.render(main, { id: arg, params }, ctx)) || null;
  drawn();
}

let current = null;
// views that draw to the window's width say so when they have; the others are drawn by CSS
window.addEventListener('resize', () => {
  if (!current || !current.drawsToWidth) drawn();
});

async function boot() {
  try {
    const res = await fetch('ui/config.json', { credentials: 'same-origin' });
    const config = await res.json();
    setBase(config.apiBase);
    ctx.readOnly = config.readOnly === true;
  } catch (e) {
    ctx.readOnly = true; // no config: show, change nothing
  }
  document.body.classList.toggle('read-only', ctx.readOnly);
  if (ctx.readOnly) document.getElementById('nav-new').remove();
  try {
    ctx.pipelines = await optional('/pipelines'); // null: the service has no pipelines
  } catch (e) {
    ctx.pipelines = []; // there are runs to see, but the list of pipelines is refused
  }
  if (!ctx.pipelines) document.getElementById('nav-runs').remove();
  const badge = document.getElementById('live');
  live.onStatus((state) => {
    badge.textContent =
      state === 'live' ? 'live' : state === 'reconnecting' ? 'reconnecting… (polling)' : state === 'offline' ? 'offline (polling)' : 'connecting…';
    badge.dataset.state = state;
  });
  live.start();
  window.addEventListener('hashchange', route);
  await route();
}

boot();
