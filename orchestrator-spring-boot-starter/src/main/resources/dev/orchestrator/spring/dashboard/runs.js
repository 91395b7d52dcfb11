// Pipeline runs, newest first: a run is its first planning task (type pipeline.plan, label
// pipeline.round=0, whose id is the run's), shown with its pipeline, goal, status and progress from
// GET /runs/<id>; "Load more" by keyset. Unless read-only, a form that starts a run of one of the
// service's pipelines. Live: task events reload it at most once a second, and only the runs still
// going are read again.

import { get, post, query } from './api.js';
import { h, clear, field, badge, ago, shortId, acting, failed } from './dom.js';
import * as live from './live.js';

const PAGE = 20;

/** The statuses a run ends in: it never changes again. */
export const ENDED = ['COMPLETED', 'FAILED', 'CANCELLED'];

/** A run's progress as a bar and "n of m steps". */
export function progress(run) {
  const total = run.totalSteps || 0;
  return h('span.run-progress',
    h('progress', { max: Math.max(total, 1), value: run.completedSteps || 0, 'aria-label': 'Steps completed' }),
    ' ', total ? `${run.completedSteps} of ${total} steps` : 'planning…');
}

export async function render(main, _args, ctx = { readOnly: true }) {
  const state = h('p.state', { role: 'status' }, 'Loading…');
  const list = h('div.task-list.run-list', { role: 'list', 'aria-label': 'Runs', id: 'run-list' });
  const more = h('button.secondary.more', { type: 'button', hidden: true, onclick: () => load(next) }, 'Load more');
  const pipelines = ctx.pipelines || [];
  const form = ctx.readOnly || !pipelines.length ? null : startForm(pipelines);
  clear(main, h('div.head', h('h1', 'Runs')), form, state, list, more);

  const rows = new Map(); // id -> {task, run, key, el}
  let next = null;
  let loading = false;
  let again = false;

  function row(task, run, problem) {
    const status = run ? run.status : 'UNKNOWN';
    return h('a.task-row.run-row', { href: '#/run/' + task.id, role: 'listitem', 'data-id': task.id, 'data-status': status },
      run ? badge(run.status) : h('span.badge', '?'),
      run && run.paused ? h('span.badge.s-paused', 'paused') : null,
      h('span.t-name', (task.labels && task.labels.pipeline ? task.labels.pipeline + ': ' : '') + (run ? run.goal : shortId(task.id))),
      h('span.t-meta',
        h('span.mono', shortId(task.id)),
        run ? progress(run) : h('span.err', problem || ''),
        run && run.round > 0 ? h('span', 're-plan ' + run.round) : null,
        run && run.rerunOf ? h('span', 'rerun of ' + shortId(run.rerunOf)) : null,
        run && run.error ? h('span.err', clip(run.error)) : null,
      ),
      h('span.t-time', ago(task.createdAt)),
      h('span.t-dur', run && run.currentSteps && run.currentSteps.length ? 'at ' + run.currentSteps.join(', ') : ''),
    );
  }

  /** Reads a page of first planning tasks (the newest without a cursor), then the runs not ended. */
  async function load(after) {
    if (loading) {
      again = true;
      return;
    }
    loading = true;
    try {
      const page = await get('/tasks' + query({ type: 'pipeline.plan', label: 'pipeline.round=0', limit: PAGE, after }));
      if (after || next === null) next = page.next;
      // ids are time-ordered: what the first page has that is not shown is newer than all shown
      const fresh = page.items.filter((t) => !rows.has(t.id));
      const newer = !after && list.firstChild;
      for (const t of newer ? fresh.reverse() : fresh) {
        const r = { task: t, run: null, key: null, el: h('span') };
        rows.set(t.id, r);
        if (newer) list.prepend(r.el);
        else list.append(r.el);
      }
      const going = [...rows.values()].filter((r) => !r.run || !ENDED.includes(r.run.status));
      await Promise.all(going.map(async (r) => {
        let problem = null;
        try {
          r.run = await get('/runs/' + r.task.id);
        } catch (e) {
          problem = 'Cannot read the run: ' + e.message;
        }
        const key = JSON.stringify(r.run) + problem;
        if (key !== r.key) {
          const el = row(r.task, r.run, problem);
          r.el.replaceWith(el);
          r.el = el;
          r.key = key;
        }
      }));
      more.hidden = !next;
      state.hidden = rows.size > 0;
      state.className = 'state muted';
      state.setAttribute('role', 'status');
      state.textContent = ctx.readOnly || !pipelines.length ? 'No runs yet.' : 'No runs yet. Start one above.';
    } catch (e) {
      failed(state, 'Cannot load the runs: ' + e.message);
    } finally {
      loading = false;
    }
    if (again) {
      again = false;
      await load();
    }
  }

  await load();
  const reload = live.throttle(() => load(), 1000);
  const off = live.subscribe({ onEvent: reload, onPoll: () => load() });
  return off;
}

function clip(text) {
  return text.length > 90 ? text.slice(0, 90) + '…' : text;
}

/** "key=value" lines as an object; a line without "=" is refused with its number. */
export function context(text) {
  const out = {};
  text.split('\n').forEach((line, i) => {
    if (!line.trim()) return;
    const eq = line.indexOf('=');
    if (eq < 1) throw new Error('line ' + (i + 1) + ' of the context is not key=value');
    out[line.slice(0, eq).trim()] = line.slice(eq + 1).trim();
  });
  return out;
}

function startForm(pipelines) {
  const pipeline = h('select', { id: 'run-pipeline' }, pipelines.map((p) => h('option', { value: p.name }, p.name)));
  const tools = h('small', { id: 'run-tools' });
  const showTools = () => {
    const p = pipelines.find((x) => x.name === pipeline.value);
    tools.textContent = p && p.tools.length ? 'tools: ' + p.tools.map((t) => t.name).join(', ') : 'no tools';
  };
  pipeline.addEventListener('change', showTools);
  showTools();
  const goal = h('input', { type: 'text', id: 'run-goal', required: true, maxlength: 2000, placeholder: 'Weekly update for the steering group' });
  const ctxText = h('textarea', { id: 'run-context', rows: 2, placeholder: 'project=atlas (one key=value a line)' });
  const err = h('p.notice', { role: 'alert', hidden: true, id: 'run-error' });
  const submit = h('button', { type: 'submit', id: 'run-start' }, 'Start run');
  return h('form.card.run-form', { id: 'run-form', onsubmit: (e) => {
    e.preventDefault();
    acting(submit, err, async () => {
      const run = await post('/pipelines/' + encodeURIComponent(pipeline.value) + '/runs', { goal: goal.value, context: context(ctxText.value) });
      location.hash = '#/run/' + run.id;
    });
  } },
    h('h2', 'Start a run'),
    h('div.grid-fields',
      h('div.field', h('label', { for: 'run-pipeline' }, 'Pipeline'), pipeline, tools),
      field('Goal', goal),
      field('Context', ctxText),
    ),
    h('div.buttons', submit),
    err,
  );
}
