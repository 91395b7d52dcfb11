// The task list: filters (status, text, type, label, owner), newest first, "load more" by keyset,
// and live: a task created or changed anywhere is fetched and shown within a second. With a filter
// applied, "Cancel all matching" and "Retry all matching" act on every task the filter matches
// (POST /tasks/bulk), after a confirm step that says what they will touch.

import { get, post, query } from './api.js';
import { h, clear, STATUSES, CANCELLABLE, RETRYABLE, badge, pausedBadge, ago, title, shortId, millis, between, failed } from './dom.js';
import * as live from './live.js';

const PAGE = 50;

export async function render(main, { params }, ctx = { readOnly: true }) {
  const filters = {
    status: params.getAll('status'),
    text: params.get('text') || '',
    type: params.get('type') || '',
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
  const type = h('input', { type: 'text', name: 'type', value: filters.type, placeholder: 'llm, or a handler', id: 'f-type' });
  const label = h('input', { type: 'text', name: 'label', value: filters.label, placeholder: 'team or team=geo', id: 'f-label' });
  const owner = h('input', { type: 'text', name: 'owner', value: filters.owner, placeholder: 'owner', id: 'f-owner' });
  const form = h(
    'form.filters',
    { role: 'search', onsubmit: (e) => { e.preventDefault(); apply(); } },
    h('fieldset.statuses', h('legend', 'Status'), statusBoxes),
    h('div.filter-fields',
      h('label', { for: 'f-text' }, 'Search', text),
      h('label', { for: 'f-type' }, 'Type', type),
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
      type: type.value.trim(),
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
  const filtered = Boolean(filters.status.length || filters.text || filters.type || filters.label || filters.owner);
  const bulk = filtered && !ctx.readOnly ? bulkActions() : null;
  clear(main, h('div.head', h('h1', 'Tasks')), form, bulk && bulk.el, state, list, more);

  const apiParams = () => ({
    status: filters.status,
    text: filters.text,
    type: filters.type,
    label: filters.label,
    limit: PAGE,
  });

  function matches(task) {
    if (filters.status.length && !filters.status.includes(task.status)) return false;
    if (filters.type && task.type !== filters.type) return false;
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
      badge(task.status), pausedBadge(task),
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
      if (old) {
        // a listed task that no longer matches stays in place, updated and dimmed, until reload
        const el = row(task);
        el.classList.add('unmatched');
        el.title = 'No longer matches the filters';
        old.el.replaceWith(el);
        rows.set(task.id, { task, el });
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
      state.textContent = filtered
        ? 'No task matches these filters.'
        : 'No tasks yet. Create one with "New task".';
    } else {
      state.hidden = true;
    }
  }

  /** The filters as the bulk endpoint takes them (the owner too: the API applies it). */
  function bulkFilter() {
    const f = {};
    if (filters.status.length) f.status = filters.status;
    for (const k of ['text', 'type', 'label', 'owner']) if (filters[k]) f[k] = filters[k];
    return f;
  }

  function describeFilters() {
    const parts = [];
    if (filters.status.length) parts.push('status ' + filters.status.join(' or '));
    if (filters.type) parts.push('type ' + filters.type);
    if (filters.label) parts.push('label ' + filters.label);
    if (filters.owner) parts.push('owner ' + filters.owner);
    if (filters.text) parts.push('"' + filters.text + '" in name or prompt');
    return parts.join(', ');
  }

  // "Cancel all matching" / "Retry all matching": a confirm step that shows what will be touched
  // (the filters, the listed tasks and how many of them the action applies to), then one request
  function bulkActions() {
    const result = h('p.bulk-result', { id: 'bulk-result', role: 'status', hidden: true });
    const confirm = h('div.bulk-confirm', { id: 'bulk-confirm', hidden: true });
    const cancelBtn = h('button.danger', { type: 'button', id: 'bulk-cancel', onclick: () => ask('cancel') }, 'Cancel all matching');
    const retryBtn = h('button', { type: 'button', id: 'bulk-retry', onclick: () => ask('retry') }, 'Retry all matching');
    const pauseBtn = h('button.secondary', { type: 'button', id: 'bulk-pause', onclick: () => ask('pause') }, 'Pause all matching');
    const resumeBtn = h('button.secondary', { type: 'button', id: 'bulk-resume', onclick: () => ask('resume') }, 'Resume all matching');
    const buttons = [cancelBtn, retryBtn, pauseBtn, resumeBtn];
    const el = h('section.bulk', { 'aria-label': 'Bulk actions', id: 'bulk' },
      h('div.bulk-bar', h('span.muted', 'Every task matching these filters:'), ...buttons),
      confirm,
      result,
    );

    function ask(action) {
      result.hidden = true;
      const listed = [...rows.values()].map((r) => r.task).filter(matches);
      const applies = action === 'retry' ? RETRYABLE : CANCELLABLE;
      const changeable = listed.filter((t) => applies.includes(t.status)
        && (action !== 'pause' || !t.paused) && (action !== 'resume' || t.paused)).length;
      const verb = { cancel: 'Cancel', retry: 'Retry', pause: 'Pause', resume: 'Resume' }[action];
      const done = { cancel: 'cancelled', retry: 'retried', pause: 'paused', resume: 'resumed' }[action];
      const which = { cancel: 'unfinished', retry: applies.join(' or ').toLowerCase(), pause: 'unfinished, not paused', resume: 'paused' }[action];
      const listedText = listed.length === 0
        ? 'No task is listed here now; the server looks again when you confirm.'
        : `${listed.length} task${listed.length === 1 ? ' is' : 's are'} listed here${next ? ', and more are not loaded yet' : ''}; ` +
          (changeable === listed.length
            ? `${listed.length === 1 ? 'it' : 'all of them'} can be ${done} (${which}).`
            : `${changeable} of them can be ${done} (${which}), the other ${listed.length - changeable} would be skipped.`);
      const preview = h('ul.bulk-preview', { id: 'bulk-preview' },
        listed.slice(0, 5).map((t) => h('li', badge(t.status), ' ', h('span', title(t)), ' ', h('span.mono.muted', shortId(t.id)))),
        listed.length > 5 ? h('li.muted', `…and ${listed.length - 5} more listed`) : null,
      );
      const input = action === 'cancel'
        ? h('input', { type: 'text', id: 'bulk-reason', placeholder: 'why (optional)', maxlength: 500 })
        : action === 'retry' ? h('input', { type: 'number', id: 'bulk-attempts', min: 1, max: 100, value: 3 }) : null;
      const go = h('button' + (action === 'cancel' ? '.danger' : ''), { type: 'submit', id: 'bulk-go' }, `${verb} every matching task`);
      const back = h('button.secondary', { type: 'button', id: 'bulk-back', onclick: () => { confirm.hidden = true; } }, 'Back');
      const error = h('p.notice.error', { role: 'alert', hidden: true });
      clear(confirm,
        h('p.bulk-what', h('strong', `${verb} every task matching ${describeFilters()}.`), ' ', listedText),
        preview,
        h('form.inline', { onsubmit: (e) => { e.preventDefault(); run(action, input, go, error); } },
          input ? h('label', { for: input.id }, action === 'cancel' ? 'Reason' : 'New attempt budget') : null, input, go, back),
        error,
      );
      confirm.hidden = false;
      go.focus();
    }

    async function run(action, input, go, error) {
      const body = { action, filter: bulkFilter() };
      if (action === 'cancel' && input.value.trim()) body.reason = input.value.trim();
      if (action === 'retry') body.attempts = Number(input.value);
      go.disabled = true;
      buttons.forEach((b) => { b.disabled = true; });
      error.hidden = true;
      try {
        const r = await post('/tasks/bulk', body);
        confirm.hidden = true;
        result.className = 'bulk-result notice ok';
        result.textContent = `${r.changed} changed, ${r.skipped} skipped` + ` (${r.matched} matched).`;
        result.hidden = false;
      } catch (e) {
        error.textContent = action[0].toUpperCase() + action.slice(1) + ' refused: ' + e.message;
        error.hidden = false;
      } finally {
        go.disabled = false;
        buttons.forEach((b) => { b.disabled = false; });
      }
    }

    return { el };
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
      failed(state, 'Cannot load tasks: ' + e.message);
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
