// Recurring schedules (GET /schedules): name, when it fires, its misfire policy, the next and the
// last fire, and the statuses of its recent tasks, each opening the task. Unless read-only: a form
// that creates or replaces a schedule (PUT /schedules/<name>), and removal after a confirm step.
// Live: task events (a fire makes one) and a slow timer (a skipped fire makes none) reload it.

import { get, put, del } from './api.js';
import { h, clear, field, badge, ago, time, shortId, failed } from './dom.js';
import * as live from './live.js';

const RECENT = 10;
const REFRESH_MS = 5000;

/** "10s", "5 m", "2h", "1d" as an ISO-8601 duration; anything else as typed (the API judges). */
export function isoDuration(text) {
  const t = text.trim();
  const m = t.match(/^(\d+(?:\.\d+)?)\s*(s|sec|m|min|h|d)$/i);
  if (!m) return t;
  const unit = m[2].toLowerCase();
  if (unit === 'd') return 'P' + m[1] + 'D';
  return 'PT' + m[1] + (unit.startsWith('s') ? 'S' : unit.startsWith('m') ? 'M' : 'H');
}

export async function render(main, _args, ctx = { readOnly: true }) {
  const state = h('p.state', { role: 'status' }, 'Loading…');
  const table = h('table.grid-table.schedules', { id: 'schedule-list', hidden: true },
    h('thead', h('tr',
      h('th', 'Name'), h('th', 'When'), h('th', 'Misfire'), h('th', 'Next fire'), h('th', 'Last fire'),
      h('th', 'Recent tasks'), ctx.readOnly ? null : h('th', h('span.muted', 'Actions')))),
  );
  const body = h('tbody');
  table.append(body);
  const form = ctx.readOnly ? null : createForm(() => load(true));
  clear(main,
    h('div.head', h('h1', 'Schedules')),
    h('div.panel.scroll-x', state, table),
    form,
  );

  function row(s) {
    const recent = h('span.recent',
      (s.recentTasks || []).slice().reverse().map((t) =>
        h('a.recent-task', { href: '#/task/' + t.id, title: (t.scheduledFor || '') + ' · ' + t.status + ' · ' + shortId(t.id), 'data-status': t.status },
          badge(t.status))),
    );
    const actions = ctx.readOnly ? null : h('td.actions-cell', removeButton(s.name));
    return h('tr', { 'data-name': s.name },
      h('td', h('strong.s-name', s.name), s.task && s.task.prompt ? h('div.muted.s-prompt', clip(s.task.prompt)) : null),
      h('td', h('span.mono', s.description), s.owner && s.owner !== 'default' ? h('div.muted', 'owner ' + s.owner) : null),
      h('td', s.misfire.toLowerCase().replace('_', ' ')),
      h('td.s-next', ago(s.nextFire), h('div.muted', time(s.nextFire))),
      h('td.s-last', s.lastFire ? ago(s.lastFire) : h('span.muted', 'not yet')),
      h('td', (s.recentTasks || []).length ? recent : h('span.muted', 'none yet')),
      actions,
    );
  }

  function removeButton(name) {
    const cell = h('span.remove');
    const ask = h('button.secondary.small', { type: 'button', 'data-remove': name, onclick: () => {
      clear(cell,
        h('span', 'Remove? Its tasks stay. '),
        h('button.danger.small', { type: 'button', 'data-confirm-remove': name, onclick: async () => {
          clear(cell, h('span.muted', 'Removing…'));
          try {
            await del('/schedules/' + encodeURIComponent(name));
            await load(true);
          } catch (ex) {
            // shown in the row until the next change of the schedule
            clear(cell, h('span.notice.error', { role: 'alert' }, 'Refused: ' + ex.message));
          }
        } }, 'Remove'),
        ' ',
        h('button.secondary.small', { type: 'button', onclick: () => clear(cell, ask) }, 'Keep'),
      );
    } }, 'Remove');
    cell.append(ask);
    return cell;
  }

  // rows by name: a row is drawn again when its schedule changed (or on the slow timer, for its
  // relative times), never while it asks to confirm a removal
  const rows = new Map();
  let loading = false;
  let again = false;
  async function load(force = false) {
    if (loading) {
      again = true;
      return;
    }
    loading = true;
    try {
      const schedules = await get('/schedules?recent=' + RECENT);
      const seen = new Set();
      let previous = null;
      for (const s of schedules) {
        seen.add(s.name);
        const key = JSON.stringify(s);
        let r = rows.get(s.name);
        const asking = r && r.el.querySelector('[data-confirm-remove]');
        const refused = r && r.el.querySelector('.remove .notice');
        if (!r || (!asking && (r.key !== key || (force && !refused)))) {
          const el = row(s);
          if (r) r.el.replaceWith(el);
          r = { key, el };
          rows.set(s.name, r);
        }
        const wanted = previous ? previous.nextSibling : body.firstChild;
        if (r.el !== wanted) body.insertBefore(r.el, wanted);
        previous = r.el;
      }
      for (const [name, r] of rows) {
        if (!seen.has(name)) {
          r.el.remove();
          rows.delete(name);
        }
      }
      table.hidden = schedules.length === 0;
      state.hidden = schedules.length !== 0;
      state.className = 'state muted';
      state.removeAttribute('role');
      state.textContent = ctx.readOnly ? 'No schedules.' : 'No schedules yet. Create one below.';
    } catch (e) {
      table.hidden = true;
      failed(state, 'Cannot load schedules: ' + e.message);
    } finally {
      loading = false;
    }
    if (again) {
      again = false;
      await load(force);
    }
  }

  const reload = live.throttle(() => load(false), 500);
  const off = live.subscribe({ onEvent: reload, onPoll: () => load(false) });
  const timer = setInterval(() => load(true), REFRESH_MS);
  await load();
  return () => {
    off();
    clearInterval(timer);
  };
}

function clip(text) {
  return text.length > 80 ? text.slice(0, 80) + '…' : text;
}

function createForm(onSaved) {
  const name = h('input', { type: 'text', id: 's-name', required: true, maxlength: 150, placeholder: 'nightly-digest' });
  const kind = h('select', { id: 's-kind', 'aria-label': 'Kind' },
    h('option', { value: 'every' }, 'every'), h('option', { value: 'cron' }, 'cron'));
  const value = h('input', { type: 'text', id: 's-when', required: true, placeholder: '10s, 5m, PT1H', 'aria-label': 'Interval or cron expression' });
  let browserZone = 'UTC';
  try {
    browserZone = Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC';
  } catch (e) {
    // keep UTC
  }
  const zone = h('input', { type: 'text', id: 's-zone', value: browserZone, hidden: true, 'aria-label': 'Zone' });
  kind.addEventListener('change', () => {
    zone.hidden = kind.value !== 'cron';
    value.placeholder = kind.value === 'cron' ? '0 9 * * MON-FRI' : '10s, 5m, PT1H';
  });
  const misfire = h('select', { id: 's-misfire' },
    h('option', { value: 'RUN_ONCE' }, 'run once for what was missed'),
    h('option', { value: 'SKIP' }, 'skip what was missed'));
  const prompt = h('textarea', { id: 's-prompt', rows: 3, required: true, placeholder: 'the prompt each fire runs' });
  const model = h('input', { type: 'text', id: 's-model', placeholder: 'the default model' });
  const err = h('p.notice', { role: 'alert', hidden: true, id: 's-error' });
  const ok = h('p.notice.ok', { role: 'status', hidden: true, id: 's-saved' });
  const submit = h('button', { type: 'submit', id: 's-save' }, 'Save schedule');
  const form = h('form.card.schedule-form', { id: 'schedule-form', onsubmit: async (e) => {
    e.preventDefault();
    submit.disabled = true;
    err.hidden = ok.hidden = true;
    const body = { misfire: misfire.value, task: { prompt: prompt.value, model: model.value.trim() || undefined } };
    if (kind.value === 'cron') {
      body.cron = value.value.trim();
      body.zone = zone.value.trim() || undefined;
    } else {
      body.every = isoDuration(value.value);
    }
    try {
      const saved = await put('/schedules/' + encodeURIComponent(name.value.trim()), body);
      ok.textContent = (saved.version === 1 ? 'Created ' : 'Replaced ') + saved.name + ': ' + saved.description + '.';
      ok.hidden = false;
      await onSaved();
    } catch (ex) {
      err.className = 'notice error';
      err.textContent = 'Refused: ' + ex.message;
      err.hidden = false;
    } finally {
      submit.disabled = false;
    }
  } },
    h('h2', 'New schedule, or replace one by its name'),
    h('div.grid-fields',
      field('Name', name),
      h('div.field', h('label', { for: 's-when' }, 'Fires'), h('div.row-inputs', kind, value, zone)),
      field('Missed fires', misfire, 'when no node was running at a fire time'),
    ),
    field('Prompt', prompt),
    h('div.grid-fields', field('Model', model)),
    h('div.buttons', submit),
    err,
    ok,
  );
  return form;
}
