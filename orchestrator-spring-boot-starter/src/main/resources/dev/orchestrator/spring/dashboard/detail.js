// Task detail: every field, prompt and output (as text), the error, attempts as rows and as bars
// on a time axis, and the audit trail; live while the task runs; cancel, retry and chain.

import { get, post } from './api.js';
import { drawn, h, s, clear, badge, pausedBadge, time, millis, between, num, money, title, shortId, CANCELLABLE, RETRYABLE, acting } from './dom.js';
import * as live from './live.js';

/** Redraws when the window's width changes. */
export const drawsToWidth = true;

export async function render(main, { id }, ctx) {
  const off = [];
  let task = null;

  const head = h('div.head');
  const notice = h('p.notice', { role: 'alert', hidden: true });
  const actions = h('section.actions', { 'aria-label': 'Actions' });
  const facts = h('section.panel');
  const texts = h('section.texts');
  const attempts = h('section.panel', { 'aria-label': 'Attempts' });
  const events = h('section.panel', { 'aria-label': 'Events' });

  async function load() {
    try {
      const [t, at, ev] = await Promise.all([
        get('/tasks/' + id),
        get('/tasks/' + id + '/attempts'),
        get('/tasks/' + id + '/events'),
      ]);
      const first = task === null;
      const changed = first || t.version !== task.version || t.status !== task.status;
      task = t;
      if (first) clear(main, head, notice, actions, facts, texts, attempts, events);
      drawHead(head, t);
      if (changed) drawActions(actions, t, ctx, act);
      drawFacts(facts, t);
      drawTexts(texts, t);
      drawAttempts(attempts, at);
      drawEvents(events, ev);
      drawn();
    } catch (e) {
      if (task === null) {
        clear(
          main,
          h('p.state.error', { role: 'alert' }, e.status === 404 ? 'No task ' + id + ' (or it is not yours).' : 'Cannot load the task: ' + e.message),
          h('a', { href: '#/tasks' }, 'Back to the tasks'),
        );
      }
    }
  }

  /** Runs an action; a refusal shows the API's problem message. */
  const act = (button, fn, done) =>
    acting(button, notice, async () => {
      const result = await fn();
      if (done) done(result);
      await load();
    });

  await load();
  const reload = live.throttle(load, 100);
  off.push(
    live.subscribe({
      onEvent: (ev) => {
        if (ev.taskId === id) reload();
      },
      onPoll: load,
    }),
  );
  const resized = live.throttle(load, 200);
  window.addEventListener('resize', resized);
  off.push(() => window.removeEventListener('resize', resized));
  return () => off.forEach((f) => f());
}

function drawHead(el, t) {
  clear(
    el,
    h('h1', h('span.t-title', title(t)), ' ', badge(t.status), pausedBadge(t)),
    h('nav.sub', { 'aria-label': 'Task' },
      h('a', { href: '#/tasks' }, '← Tasks'),
      h('a', { href: '#/task/' + t.id + '/lineage', id: 'lineage-link' }, 'Lineage'),
    ),
  );
}

function drawActions(el, t, ctx, act) {
  if (ctx.readOnly) {
    clear(el);
    el.hidden = true;
    return;
  }
  const parts = [];
  if (CANCELLABLE.includes(t.status)) {
    const reason = h('input', { type: 'text', id: 'cancel-reason', placeholder: 'why (optional)', maxlength: 500 });
    const btn = h('button.danger', { type: 'submit', id: 'cancel' }, 'Cancel task');
    parts.push(
      h('form.inline', { onsubmit: (e) => { e.preventDefault(); act(btn, () => post('/tasks/' + t.id + '/cancel', { reason: reason.value.trim() || undefined })); } },
        h('label', { for: 'cancel-reason' }, 'Reason'), reason, btn),
    );
  }
  if (CANCELLABLE.includes(t.status)) {
    const verb = t.paused ? 'resume' : 'pause';
    const btn = h('button.secondary', { type: 'button', id: verb, onclick: () => act(btn, () => post('/tasks/' + t.id + '/' + verb, {})) },
      t.paused ? 'Resume' : 'Pause');
    parts.push(btn);
  }
  if (RETRYABLE.includes(t.status)) {
    const n = h('input', { type: 'number', id: 'retry-attempts', min: 1, max: 100, value: t.maxAttempts || 3 });
    const btn = h('button', { type: 'submit', id: 'retry' }, 'Retry');
    parts.push(
      h('form.inline', { onsubmit: (e) => { e.preventDefault(); act(btn, () => post('/tasks/' + t.id + '/retry', { maxAttempts: Number(n.value) })); } },
        h('label', { for: 'retry-attempts' }, 'New attempt budget'), n, btn),
    );
  }
  if (t.status === 'COMPLETED') {
    parts.push(h('a.button', { href: '#/new?chain=' + t.id, id: 'use-as-new' }, 'Use as new task'));
  }
  clear(el, parts);
  el.hidden = parts.length === 0;
}

function drawFacts(el, t) {
  const dl = h('dl.facts');
  const add = (k, v) => dl.append(h('dt', k), h('dd', v));
  add('id', h('span.mono', t.id));
  add('type', t.type);
  add('queue', t.queue || 'default');
  if (t.concurrencyKey) add('concurrency', `${t.concurrencyKey} (at most ${t.concurrencyLimit} at once)`);
  add('model', t.model || 'default');
  add('owner', t.owner || '—');
  add('priority', String(t.priority));
  add('attempts', `${t.attempt} of ${t.maxAttempts}`);
  add('created', time(t.createdAt));
  if (t.runAt && t.status === 'SCHEDULED') add('runs at', time(t.runAt));
  add('started', time(t.startedAt));
  add('finished', time(t.finishedAt));
  add('total', t.finishedAt ? millis(between(t.createdAt, t.finishedAt)) : t.startedAt ? 'running for ' + millis(Date.now() - new Date(t.startedAt)) : '—');
  add('timeout', t.timeout || '—');
  if (t.usage) add('tokens', `${num(t.usage.inputTokens)} in / ${num(t.usage.outputTokens)} out · ${money(t.usage.cost)}`);
  const labels = Object.entries(t.labels || {});
  add('labels', labels.length ? labels.map(([k, v]) => h('span.label', k + '=' + v)) : '—');
  if (t.parentIds && t.parentIds.length) {
    add('parents', t.parentIds.map((p) => h('a.mono', { href: '#/task/' + p }, shortId(p))));
  }
  if (t.idempotencyKey) add('idempotency key', t.idempotencyKey);
  clear(el, h('h2', 'Task'), dl);
}

function drawTexts(el, t) {
  const blocks = [];
  blocks.push(textBlock('Prompt', t.prompt, 'prompt'));
  if (t.error) {
    blocks.push(h('div.error-box', { role: 'note' }, h('h2', 'Error'), h('p', h('span.kind', t.error.kind || 'ERROR'), ' ', t.error.message || '')));
  }
  if (t.output !== null && t.output !== undefined) blocks.push(textBlock('Output', t.output, 'output'));
  else if (!['COMPLETED', 'FAILED', 'CANCELLED'].includes(t.status)) blocks.push(h('div.text-box', h('h2', 'Output'), h('p.muted', 'Not yet: the task is ' + t.status.toLowerCase() + '.')));
  clear(el, blocks);
}

function textBlock(label, text, key) {
  const pre = h('pre.scroll', { id: key, tabindex: 0, 'aria-label': label }, text === null || text === undefined ? '' : text);
  const copy = h('button.secondary.small', { type: 'button', 'aria-label': 'Copy ' + label.toLowerCase() }, 'Copy');
  copy.addEventListener('click', async () => {
    try {
      await navigator.clipboard.writeText(text || '');
      copy.textContent = 'Copied';
    } catch (e) {
      const range = document.createRange();
      range.selectNodeContents(pre);
      getSelection().removeAllRanges();
      getSelection().addRange(range);
      copy.textContent = 'Selected: press Ctrl+C';
    }
    setTimeout(() => (copy.textContent = 'Copy'), 2000);
  });
  return h('div.text-box', h('div.box-head', h('h2', label), copy), pre);
}

function drawAttempts(el, list) {
  if (!list.length) {
    clear(el, h('h2', 'Attempts'), h('p.muted', 'No attempt yet.'));
    return;
  }
  const table = h(
    'div.scroll-x',
    h('table.grid-table', { id: 'attempts' },
      h('thead', h('tr', ['#', 'worker', 'outcome', 'latency', 'model', 'tokens in', 'tokens out', 'cost', 'error'].map((c) =>
        h(['latency', 'tokens in', 'tokens out', 'cost'].includes(c) ? 'th.num' : 'th', c)))),
      h('tbody',
        list.map((a) =>
          h('tr', { 'data-outcome': a.outcome || 'RUNNING' },
            h('td', String(a.number)),
            h('td.mono', a.worker || '—'),
            h('td', h('span.badge.o-' + String(a.outcome || 'running').toLowerCase(), a.outcome || 'running')),
            h('td.num', millis(between(a.startedAt, a.finishedAt))),
            h('td', a.model || '—'),
            h('td.num', num(a.usage && a.usage.inputTokens)),
            h('td.num', num(a.usage && a.usage.outputTokens)),
            h('td.num', money(a.usage && a.usage.cost)),
            h('td.err', a.error ? (a.error.kind ? a.error.kind + ': ' : '') + (a.error.message || '') : ''),
          ),
        ),
      ),
    ),
  );
  clear(el, h('h2', 'Attempts'), timeline(list, Math.max(300, el.clientWidth - 30)), table);
}

/** Each attempt as a bar from its start to its end on one time axis. */
function timeline(list, W) {
  const now = Date.now();
  const t0 = Math.min(...list.map((a) => new Date(a.startedAt).getTime()));
  const t1 = Math.max(...list.map((a) => (a.finishedAt ? new Date(a.finishedAt).getTime() : now)), t0 + 1);
  const rowH = 18;
  const H = list.length * rowH + 20;
  const x = (ms) => 30 + ((ms - t0) / (t1 - t0)) * (W - 40);
  const svg = s('svg', { viewBox: `0 0 ${W} ${H}`, class: 'attempt-bars', width: W, height: H, role: 'img', 'aria-label': 'Attempts on a time axis' });
  list.forEach((a, i) => {
    const start = new Date(a.startedAt).getTime();
    const end = a.finishedAt ? new Date(a.finishedAt).getTime() : now;
    const y = i * rowH + 2;
    svg.append(s('text', { x: 4, y: y + 12, class: 'axis' }, '#' + a.number));
    const bar = s('rect', { x: x(start), y, width: Math.max(2, x(end) - x(start)), height: rowH - 6, rx: 2, class: 'bar o-' + String(a.outcome || 'running').toLowerCase() });
    bar.append(s('title', {}, `attempt ${a.number}: ${a.outcome || 'running'}, ${millis(end - start)}`));
    svg.append(bar);
  });
  svg.append(
    s('text', { x: 30, y: H - 4, class: 'axis' }, '0'),
    s('text', { x: W - 10, y: H - 4, class: 'axis', 'text-anchor': 'end' }, '+' + millis(t1 - t0)),
  );
  return svg;
}

function drawEvents(el, list) {
  clear(
    el,
    h('h2', 'Events'),
    list.length === 0
      ? h('p.muted', 'No events.')
      : h('ol.events', { id: 'events' },
          list.map((e) =>
            h('li', { class: e.transition === false ? 'note' : 'change' },
              h('span.ev-time', time(e.at)),
              e.transition === false
                ? h('span.ev-what', 'note')
                : h('span.ev-what', e.from ? [badge(e.from), ' → ', badge(e.to)] : badge(e.to)),
              e.attempt ? h('span.ev-attempt', 'attempt ' + e.attempt) : null,
              e.reason ? h('span.ev-reason', e.reason) : null,
            ),
          ),
        ),
  );
}
