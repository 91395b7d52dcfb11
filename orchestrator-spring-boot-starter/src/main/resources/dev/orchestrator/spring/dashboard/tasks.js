// The task list: filters (status, text, label, owner), newest first, "load more" by keyset, and
// live: a task created or changed anywhere is fetched and shown within a second.

import { get, query } from './api.js';
import { h, clear, STATUSES, badge, ago, title, shortId, millis, between } from './dom.js';
import * as live from './live.js';

const PAGE = 50;

export async function render(main, { params }) {
  const filters = {
    status: params.getAll('status'),
    text: params.get('text') || '',
    label: params.get('label') || '',
    owner: params.get('owner') || '',
  };
  const rows = new Map(); // id -> {task, el}
  let next = null;

  const statusBoxes = STATUSES.map((st) =>
    h(
      'label.chip.s-' + st.toLowerCase(),
      h('input', { type: 'checkbox', name: 'status', value: st, checked: filters.status.includes(st) }),
      st.toLowerCase(),
    ),
  );
  const text = h('input', { type: 'search', name: 'text', value: filters.text, placeholder: 'words in name, prompt, output', id: 'f-text' });
  const label = h('input', { type: 'text', name: 'label', value: filters.label, placeholder: 'team or team=geo', id: 'f-label' });
  const owner = h('input', { type: 'text', name: 'owner', value: filters.owner, placeholder: 'owner', id: 'f-owner' });
  const form = h(
    'form.filters',
    { role: 'search', onsubmit: (e) => { e.preventDefault(); apply(); } },
    h('fieldset.statuses', h('legend', 'Status'), statusBoxes),
    h('div.filter-fields',
      h('label', { for: 'f-text' }, 'Search', text),
      h('label', { for: 'f-label' }, 'Label', label),
      h('label', { for: 'f-owner' }, 'Owner', owner),
      h('button', { type: 'submit' }, 'Filter'),
      h('button.secondary', { type: 'button', onclick: () => { location.hash = '#/tasks'; } }, 'Clear'),
    ),
  );
  for (const box of statusBoxes) box.querySelector('input').addEventListener('change', apply);

  function apply() {
    const q = query({
      status: statusBoxes.map((b) => b.querySelector('input')).filter((i) => i.checked).map((i) => i.value),
      text: text.value.trim(),
      label: label.value.trim(),
      owner: owner.value.trim(),
    });
    const target = '#/tasks' + q;
    if (location.hash === target) window.dispatchEvent(new HashChangeEvent('hashchange'));
    else location.hash = target;
  }

  const list = h('div.task-list', { role: 'list', 'aria-label': 'Tasks', id: 'task-list' });
  const state = h('p.state', { role: 'status' }, 'Loading…');
  const more = h('button.secondary.more', { type: 'button', hidden: true, onclick: () => load(false) }, 'Load more');
  clear(main, h('div.head', h('h1', 'Tasks')), form, state, list, more);

  const apiParams = () => ({
    status: filters.status,
    text: filters.text,
    label: filters.label,
    limit: PAGE,
  });

  function matches(task) {
    if (filters.status.length && !filters.status.includes(task.status)) return false;
    if (filters.owner && task.owner !== filters.owner) return false;
    if (filters.label) {
      const [k, v] = filters.label.split('=');
      const labels = task.labels || {};
      if (!(k in labels) || (v !== undefined && labels[k] !== v)) return false;
    }
    if (filters.text) {
      const hay = [task.name, task.prompt, task.output].join(' ').toLowerCase();
      if (!hay.includes(filters.text.toLowerCase())) return false;
    }
    return true;
  }

  function row(task) {
    const el = h(
      'a.task-row',
      { href: '#/task/' + task.id, role: 'listitem', 'data-id': task.id, 'data-status': task.status },
      badge(task.status),
      h('span.t-name', title(task)),
      h('span.t-meta',
        h('span.mono', shortId(task.id)),
        task.model ? h('span', task.model) : null,
        task.owner ? h('span', 'owner ' + task.owner) : null,
        Object.entries(task.labels || {}).map(([k, v]) => h('span.label', k + '=' + v)),
      ),
      h('span.t-time', ago(task.createdAt)),
      h('span.t-dur', task.finishedAt ? millis(between(task.startedAt || task.createdAt, task.finishedAt)) : task.status === 'RUNNING' ? 'running' : ''),
    );
    return el;
  }

  function put(task, prepend) {
    const old = rows.get(task.id);
    if (old && old.task.version > task.version) return;
    if (!matches(task)) {
      if (old && filters.status.length === 0) {
        old.el.replaceWith(row(task)); // unfiltered: keep it, updated
      }
      return;
    }
    const el = row(task);
    if (old) old.el.replaceWith(el);
    else if (prepend) list.prepend(el);
    else list.append(el);
    rows.set(task.id, { task, el });
    showState();
  }

  function showState() {
    if (rows.size === 0) {
      state.hidden = false;
      state.className = 'state muted';
      state.textContent = filters.status.length || filters.text || filters.label || filters.owner
        ? 'No task matches these filters.'
        : 'No tasks yet. Create one with "New task".';
    } else {
      state.hidden = true;
    }
  }

  async function load(first) {
    more.disabled = true;
    try {
      let page;
      let got = 0;
      // owner is filtered here (the API has no owner filter): read on until a page shows something
      do {
        page = await get('/tasks' + query({ ...apiParams(), after: first ? null : next }));
        first = false;
        next = page.next;
        for (const t of page.items) {
          if (matches(t)) got++;
          put(t, false);
        }
      } while (filters.owner && got === 0 && next);
      more.hidden = !next;
      showState();
    } catch (e) {
      state.hidden = false;
      state.className = 'state error';
      state.setAttribute('role', 'alert');
      state.textContent = 'Cannot load tasks: ' + e.message;
    } finally {
      more.disabled = false;
    }
  }

  // live: collect changed ids, fetch each once
  const pending = new Set();
  const flush = live.throttle(async () => {
    const ids = [...pending];
    pending.clear();
    for (const id of ids) {
      try {
        put(await get('/tasks/' + id), true);
      } catch (e) {
        // gone (purged, or not ours): leave the list as it is
      }
    }
  }, 150);
  const off = live.subscribe({
    onEvent: (ev) => {
      pending.add(ev.taskId);
      flush();
    },
    onPoll: async () => {
      try {
        const page = await get('/tasks' + query(apiParams()));
        for (const t of page.items.slice().reverse()) put(t, true);
      } catch (e) {
        // the next poll tries again
      }
    },
  });

  await load(true);
  return off;
}
