// Overview: tasks by status, the last hour's throughput, tokens and cost by model, and the nodes
// that are alive. Refreshed at most once a second from the event stream (or by polling).

import { get, optional } from './api.js';
import { drawn, h, clear, STATUSES, badge, num, money, ago } from './dom.js';
import { bars } from './chart.js';
import * as live from './live.js';

/** Redraws when the window's width changes. */
export const drawsToWidth = true;

export async function render(main) {
  const counts = h('section.tiles', { 'aria-label': 'Tasks by status' });
  const charts = h('section.charts', { 'aria-label': 'The last hour' });
  const nodes = h('section.panel', { 'aria-label': 'Nodes', id: 'nodes' });
  const usage = h('section.panel', { 'aria-label': 'Usage by model' });
  const error = h('p.state.error', { hidden: true, role: 'alert' });
  clear(main, h('h1', 'Overview'), error, counts, charts, h('div.two', nodes, usage));

  async function refresh() {
    try {
      const [stats, activity, alive, health] = await Promise.all([
        get('/stats'),
        optional('/stats/activity?minutes=60'),
        optional('/nodes'),
        optional('/health'),
      ]);
      error.hidden = true;
      drawCounts(counts, stats.counts || {});
      drawCharts(charts, activity);
      drawNodes(nodes, alive, health);
      drawUsage(usage, stats.usage || []);
      drawn();
    } catch (e) {
      error.hidden = false;
      error.textContent = 'Cannot load the overview: ' + e.message;
    }
  }
  await refresh();
  const again = live.throttle(refresh, 1000);
  const off = live.subscribe({ onEvent: again, onPoll: refresh });
  const timer = setInterval(refresh, 30000); // the charts' minutes move on even when all is quiet
  const resized = live.throttle(refresh, 200);
  window.addEventListener('resize', resized);
  return () => {
    window.removeEventListener('resize', resized);
    off();
    clearInterval(timer);
  };
}

function drawCounts(el, counts) {
  const total = STATUSES.reduce((a, st) => a + (counts[st] || 0), 0);
  clear(
    el,
    h('a.tile', { href: '#/tasks' }, h('span.tile-n', num(total)), h('span.tile-l', 'all tasks')),
    STATUSES.map((st) =>
      h(
        'a.tile.t-' + st.toLowerCase(),
        { href: '#/tasks?status=' + st, 'data-status': st },
        h('span.tile-n', num(counts[st] || 0)),
        h('span.tile-l', st.toLowerCase()),
      ),
    ),
  );
}

function drawCharts(el, activity) {
  if (!activity) {
    clear(
      el,
      h('p.state.muted', 'This server does not report activity over time yet (no /stats/activity).'),
    );
    return;
  }
  const buckets = activity.buckets || [];
  const starts = buckets.map((b) => new Date(b.start));
  const models = [...new Set(buckets.flatMap((b) => (b.models || []).map((m) => m.model || '(default)')))];
  const per = (key) =>
    models.map((model, i) => ({
      label: model,
      cls: 'c' + (i % 6),
      values: buckets.map((b) =>
        (b.models || [])
          .filter((m) => (m.model || '(default)') === model)
          .reduce((a, m) => a + (key === 'tokens' ? (m.inputTokens || 0) + (m.outputTokens || 0) : Number(m.cost || 0)), 0),
      ),
    }));
  const quiet = buckets.every((b) => !b.completed && !b.failed);
  const cols = el.clientWidth > 880 ? 3 : 1;
  const width = Math.max(260, Math.floor((el.clientWidth - 14 * (cols - 1)) / cols) - 30);
  clear(
    el,
    bars('Finished per minute', starts, [
      { label: 'completed', cls: 'ok', values: buckets.map((b) => b.completed || 0) },
      { label: 'failed', cls: 'bad', values: buckets.map((b) => b.failed || 0) },
    ], (v) => num(Math.round(v)), width),
    bars('Tokens per minute by model', starts, per('tokens'), (v) => compact(v), width),
    bars('Cost per minute by model', starts, per('cost'), (v) => (v === 0 ? '$0' : '$' + Number(v.toPrecision(2))), width),
    quiet ? h('p.muted.note', 'No task ended in the last hour.') : null,
  );
}

function compact(v) {
  if (v >= 1e6) return (v / 1e6).toFixed(1) + 'M';
  if (v >= 1e3) return (v / 1e3).toFixed(1) + 'k';
  return String(Math.round(v));
}

function drawNodes(el, alive, health) {
  let rows = alive;
  let note = null;
  if (!rows) {
    rows = health ? [{ nodeId: health.node, running: health.running, lastSeen: null }] : [];
    note = h('p.muted.note', 'This server lists only the node that answered (no /nodes yet).');
  }
  clear(
    el,
    h('h2', 'Nodes alive'),
    rows.length === 0
      ? h('p.state.muted', 'No node has reported in.')
      : h(
          'table.grid-table',
          h('thead', h('tr', h('th', 'node'), h('th.num', 'running'), h('th', 'last seen'))),
          h(
            'tbody',
            rows.map((n) =>
              h('tr', h('td.mono', n.nodeId), h('td.num', num(n.running)), h('td', n.lastSeen ? ago(n.lastSeen) : 'now')),
            ),
          ),
        ),
    note,
  );
}

function drawUsage(el, usage) {
  const byModel = new Map();
  for (const u of usage) {
    const k = u.model || '(default)';
    const t = byModel.get(k) || { attempts: 0, inputTokens: 0, outputTokens: 0, cost: 0 };
    t.attempts += u.attempts || 0;
    t.inputTokens += u.inputTokens || 0;
    t.outputTokens += u.outputTokens || 0;
    t.cost += Number(u.cost || 0);
    byModel.set(k, t);
  }
  clear(
    el,
    h('h2', 'Usage by model (all time)'),
    byModel.size === 0
      ? h('p.state.muted', 'No model has been called yet.')
      : h(
          'div.scroll-x',
          h(
            'table.grid-table',
            h('thead', h('tr', h('th', 'model'), h('th.num', 'attempts'), h('th.num', 'tokens in'), h('th.num', 'tokens out'), h('th.num', 'cost'))),
            h(
              'tbody',
              [...byModel].map(([model, t]) =>
                h('tr', h('td.mono', model), h('td.num', num(t.attempts)), h('td.num', num(t.inputTokens)), h('td.num', num(t.outputTokens)), h('td.num', money(t.cost))),
              ),
            ),
          ),
        ),
  );
}

export { badge };
