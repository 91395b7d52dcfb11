// A pipeline run (GET /runs/<id>): its status and progress, the plan as a graph (steps as boxes,
// dependsOn as edges, coloured by status) and as a list (status, attempts, duration, tokens); a
// selected step shows its artifact (input, output, error) and its trace entries; the run's latest
// trace below. Read every second while the run goes on. Unless read-only: pause or resume and
// cancel while it goes on, rerun from a step (with edited arguments or prompt) once it ended.

import { get, post } from './api.js';
import { drawn, h, s, clear, badge, millis, num, shortId, acting } from './dom.js';
import { layout, drawEdges, perRow, NODE_W, NODE_H } from './lineage.js';
import { ENDED, progress } from './runs.js';

const POLL_MS = 1000;
const TRACE = 50;

/** Redraws when the window's width changes. */
export const drawsToWidth = true;

/** An ISO-8601 duration such as PT4S or PT1M30.5S in milliseconds, or null. */
export function isoMillis(iso) {
  const m = /^PT(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:\.\d+)?)S)?$/.exec(iso || '');
  return m ? ((Number(m[1] || 0) * 60 + Number(m[2] || 0)) * 60 + Number(m[3] || 0)) * 1000 : null;
}

export async function render(main, { id }, ctx) {
  let run = null;
  let key = null;
  let selected = null;
  let traceSize = -1;
  const stepErrors = new Map(); // taskId -> the error of a step that failed without an artifact

  const head = h('div.head');
  const notice = h('p.notice', { role: 'alert', hidden: true, id: 'run-notice' });
  const actions = h('section.actions', { 'aria-label': 'Actions', hidden: true });
  const summary = h('section.panel', { 'aria-label': 'Run', id: 'run-summary' });
  const graphBox = h('section.graph-box', { 'aria-label': 'Plan graph' });
  const steps = h('section.panel', { 'aria-label': 'Steps' });
  const detail = h('section.panel', { 'aria-label': 'Selected step', id: 'step-detail' });
  const trace = h('section.panel', { 'aria-label': 'Trace', id: 'run-trace' });

  async function load(force = false) {
    try {
      const r = await get('/runs/' + id);
      const k = JSON.stringify(r);
      const first = run === null;
      const turned = first || r.status !== run.status || r.paused !== run.paused;
      if (!force && k === key) return;
      run = r;
      key = k;
      if (first) clear(main, head, notice, actions, summary, graphBox, steps, detail, trace);
      if (!selected && r.steps.length) selected = r.currentSteps[0] || r.steps[0].id;
      drawHead(head, r);
      if (turned) drawActions();
      drawSummary(summary, r);
      drawGraph();
      drawSteps();
      await drawDetail();
      if (r.traceEntries !== traceSize) {
        traceSize = r.traceEntries;
        drawTrace(trace, await get('/runs/' + id + '/trace?limit=' + TRACE));
      }
      drawn();
    } catch (e) {
      if (run === null) {
        clear(
          main,
          h('p.state.error', { role: 'alert' }, e.status === 404 ? 'No pipeline run ' + id + '.' : 'Cannot load the run: ' + e.message),
          h('a', { href: '#/runs' }, 'Back to the runs'),
        );
        drawn();
      }
    }
  }

  function select(stepId) {
    selected = stepId;
    drawGraph();
    drawSteps();
    drawDetail();
    const pick = document.getElementById('rerun-step');
    if (pick && pick.value !== stepId) {
      pick.value = stepId;
      pick.dispatchEvent(new Event('change'));
    }
  }

  /** Runs an action, then reads the run again; a refusal shows the API's problem. */
  const act = (button, fn) =>
    acting(button, notice, async () => {
      await fn();
      await load(true);
    });

  function drawActions() {
    if (ctx.readOnly) {
      actions.hidden = true;
      return;
    }
    const parts = [];
    if (!ENDED.includes(run.status)) {
      const verb = run.paused ? 'resume' : 'pause';
      const toggle = h('button.secondary', { type: 'button', id: 'run-' + verb, onclick: () => act(toggle, () => post('/runs/' + id + '/' + verb)) },
        run.paused ? 'Resume run' : 'Pause run');
      const cancel = h('button.danger', { type: 'button', id: 'run-cancel', onclick: () => act(cancel, () => post('/runs/' + id + '/cancel')) }, 'Cancel run');
      parts.push(toggle, cancel);
    } else if (run.plan && run.plan.steps.length) {
      parts.push(rerunForm());
    }
    clear(actions, parts);
    actions.hidden = parts.length === 0;
  }

  function rerunForm() {
    const pick = h('select', { id: 'rerun-step', 'aria-label': 'Step' },
      run.plan.steps.map((st) => h('option', { value: st.id }, st.id)));
    if (selected) pick.value = selected;
    const edit = h('span.rerun-edit');
    let original = null;
    let input = null;
    const fill = () => {
      const st = run.plan.steps.find((x) => x.id === pick.value);
      input = null;
      if (st.kind === 'TOOL') {
        original = JSON.stringify(st.arguments || {}, null, 2);
        input = h('textarea', { id: 'rerun-arguments', rows: 3, 'aria-label': 'Arguments (JSON)' }, original);
      } else if (st.kind === 'LLM') {
        original = st.prompt || '';
        input = h('textarea', { id: 'rerun-prompt', rows: 3, 'aria-label': 'Prompt' }, original);
      }
      clear(edit, input || h('span.muted', 'runs again as planned'));
      if (pick.value !== selected) select(pick.value);
    };
    pick.addEventListener('change', fill);
    const btn = h('button', { type: 'submit', id: 'rerun' }, 'Rerun from this step');
    const form = h('form.inline.rerun-form', { id: 'rerun-form', onsubmit: (e) => {
      e.preventDefault();
      act(btn, async () => {
        const body = { fromStep: pick.value };
        if (input && input.value !== original) {
          if (input.id === 'rerun-prompt') body.prompt = input.value;
          else body.arguments = json(input.value);
        }
        const again = await post('/runs/' + id + '/rerun', body);
        location.hash = '#/run/' + again.id;
      });
    } }, h('label', { for: 'rerun-step' }, 'Rerun from'), pick, edit, btn);
    fill();
    return form;
  }

  function drawGraph() {
    if (!run.plan) {
      clear(graphBox, h('h2', 'Plan'), h('p.muted', run.status === 'PLANNING' ? 'Planning…' : 'No plan.'));
      return;
    }
    const byId = new Map(run.steps.map((st) => [st.id, st]));
    const nodes = run.plan.steps.map((st, i) => ({ id: st.id, createdAt: String(i).padStart(4, '0') }));
    const edges = run.plan.steps.flatMap((st) => st.dependsOn.map((d) => ({ parentId: d, childId: st.id })));
    const { coords, width, height } = layout(nodes, edges, perRow(graphBox));
    const svg = s('svg', { class: 'lineage run-graph', id: 'run-graph', width, height, viewBox: `0 0 ${width} ${height}`, role: 'group', 'aria-label': 'The plan: steps and what each waits for' });
    drawEdges(svg, edges, coords, 'run-arrow');
    for (const st of run.plan.steps) {
      const c = coords.get(st.id);
      const view = byId.get(st.id) || {};
      const status = String(view.status || 'PENDING').toLowerCase();
      const shown = st.id.length > 19 ? st.id.slice(0, 18) + '…' : st.id;
      const what = st.kind === 'TOOL' ? st.tool : st.kind.toLowerCase();
      const node = s('g', { class: 'node s-' + status + (st.id === selected ? ' current' : ''), 'data-step': st.id, tabindex: 0, role: 'button', 'aria-label': st.id + ', ' + status,
        onclick: () => select(st.id),
        onkeydown: (e) => {
          if (e.key === 'Enter' || e.key === ' ') {
            e.preventDefault();
            select(st.id);
          }
        } },
        s('title', {}, st.id + (st.description ? ': ' + st.description : '') + ' (' + status + ')'),
        s('rect', { x: c.x, y: c.y, width: NODE_W, height: NODE_H, rx: 6 }),
        s('text', { x: c.x + 10, y: c.y + 19, class: 'node-name' }, shown),
        s('text', { x: c.x + 10, y: c.y + 36, class: 'node-status' }, clipText(status + ' · ' + what, 24)),
      );
      svg.append(node);
    }
    clear(graphBox, h('h2', 'Plan', run.round > 0 ? ' (re-plan ' + run.round + ')' : ''), h('div.graph-scroll', svg));
  }

  function drawSteps() {
    clear(
      steps,
      h('h2', 'Steps'),
      h('div.scroll-x',
        h('table.grid-table.run-steps', { id: 'run-steps' },
          h('thead', h('tr', ['step', 'does', 'status', 'attempts', 'duration', 'tokens in', 'tokens out'].map((c) =>
            h(['attempts', 'duration', 'tokens in', 'tokens out'].includes(c) ? 'th.num' : 'th', c)))),
          h('tbody', run.steps.map((st) => {
            const r = st.result;
            return h('tr', { 'data-step': st.id, 'data-status': st.status || 'PENDING', tabindex: 0, class: st.id === selected ? 'selected' : null, 'aria-selected': String(st.id === selected),
              onclick: () => select(st.id),
              onkeydown: (e) => {
                if (e.key === 'Enter') select(st.id);
              } },
              h('td', h('strong', st.id), st.description ? h('div.muted', st.description) : null),
              h('td', st.kind.toLowerCase(), st.tool ? h('span.mono', ' ' + st.tool) : null),
              h('td', st.status ? badge(st.status) : h('span.muted', 'waiting')),
              h('td.num', String(st.attempts)),
              h('td.num', r ? millis(r.millis) : st.status === 'RUNNING' ? 'running' : '—'),
              h('td.num', r ? num(r.inputTokens) : '—'),
              h('td.num', r ? num(r.outputTokens) : '—'),
            );
          })),
        ),
      ),
    );
  }

  async function drawDetail() {
    const st = run.steps.find((x) => x.id === selected);
    if (!st) {
      clear(detail, h('h2', 'Step'), h('p.muted', 'Select a step in the graph or the list.'));
      return;
    }
    const r = st.result;
    let error = r && r.error;
    if (!r && st.taskId && ['FAILED', 'CANCELLED'].includes(st.status)) {
      if (!stepErrors.has(st.taskId)) {
        try {
          const t = await get('/tasks/' + st.taskId);
          stepErrors.set(st.taskId, t.error ? (t.error.kind ? t.error.kind + ': ' : '') + t.error.message : st.status);
        } catch (e) {
          stepErrors.set(st.taskId, st.status);
        }
      }
      error = stepErrors.get(st.taskId);
    }
    const dl = h('dl.facts');
    const add = (k, v) => dl.append(h('dt', k), h('dd', v));
    add('kind', st.kind.toLowerCase() + (st.tool ? ' · ' + st.tool : ''));
    add('status', st.status ? badge(st.status) : 'waiting');
    add('attempts', String(st.attempts));
    add('duration', r ? millis(r.millis) : '—');
    add('tokens', r ? `${num(r.inputTokens)} in / ${num(r.outputTokens)} out` : '—');
    add('task', st.taskId ? h('a.mono', { href: '#/task/' + st.taskId }, shortId(st.taskId)) : '—');
    const input = r ? (typeof r.input === 'string' ? r.input : JSON.stringify(r.input, null, 2)) : null;
    clear(
      detail,
      h('h2', 'Step ', h('span.mono', st.id)),
      st.description ? h('p', st.description) : null,
      dl,
      error ? h('div.error-box', { role: 'note', id: 'step-error' }, h('h2', 'Error'), h('p', error)) : null,
      h('div.texts',
        h('div.text-box', h('h2', 'Input'), h('pre.scroll', { id: 'step-input', tabindex: 0 }, input === null ? '' : input)),
        h('div.text-box', h('h2', 'Output'), h('pre.scroll', { id: 'step-output', tabindex: 0 }, r && r.output !== null ? r.output : '')),
      ),
      h('h2', 'Trace of the step'),
      traceList(r ? r.trace : [], 'step-trace'),
    );
  }

  await load();
  let polling = false;
  const timer = setInterval(async () => {
    if (polling || (run && ENDED.includes(run.status))) return; // an ended run does not change
    polling = true;
    try {
      await load();
    } finally {
      polling = false;
    }
  }, POLL_MS);
  const resized = () => {
    if (run) drawGraph();
    drawn();
  };
  window.addEventListener('resize', resized);
  return () => {
    clearInterval(timer);
    window.removeEventListener('resize', resized);
  };
}

function json(text) {
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new Error('the arguments are not JSON (' + e.message + ')');
  }
}

function clipText(text, n) {
  return text.length > n ? text.slice(0, n - 1) + '…' : text;
}

function drawHead(el, r) {
  clear(
    el,
    h('h1', { 'data-status': r.status }, h('span.t-title', r.pipeline), ' ', badge(r.status), r.paused ? h('span.badge.s-paused', 'paused') : null),
    h('nav.sub', { 'aria-label': 'Run' },
      h('a', { href: '#/runs' }, '← Runs'),
      h('a', { href: '#/task/' + r.id }, 'First task'),
      h('a', { href: '#/task/' + r.id + '/lineage' }, 'Lineage'),
      r.rerunOf ? h('a', { href: '#/run/' + r.rerunOf, id: 'rerun-of' }, 'Reruns ' + shortId(r.rerunOf)) : null,
    ),
  );
}

function drawSummary(el, r) {
  const dl = h('dl.facts');
  const add = (k, v) => dl.append(h('dt', k), h('dd', v));
  add('goal', r.goal);
  add('id', h('span.mono', r.id));
  add('progress', progress(r));
  add('running now', r.currentSteps.length ? r.currentSteps.join(', ') : '—');
  add('estimate', r.estimate ? millis(isoMillis(r.estimate)) : '—');
  add('re-plans', String(r.round));
  if (r.verification) {
    add('verification', h('span', r.verification.passed ? 'passed' : 'failed', r.verification.findings.length ? ': ' + r.verification.findings.join('; ') : ''));
  }
  clear(
    el,
    h('h2', 'Run'),
    dl,
    r.error ? h('div.error-box', { role: 'note', id: 'run-error' }, h('h2', 'Error'), h('p', r.error)) : null,
    r.result !== null && r.result !== undefined
      ? h('div.text-box', h('h2', 'Result'), h('pre.scroll', { id: 'run-result', tabindex: 0 }, r.result))
      : null,
  );
}

function drawTrace(el, page) {
  clear(
    el,
    h('h2', 'Trace', page.total > page.items.length ? ` (the latest ${page.items.length} of ${page.total})` : ''),
    traceList(page.items, 'trace-list'),
  );
}

/** Trace entries: when, what (an LLM call, a tool call, a decision, an error), tokens, time. */
function traceList(entries, listId) {
  if (!entries || !entries.length) return h('p.muted', 'No entries yet.');
  return h('ol.trace', { id: listId },
    entries.map((t) =>
      h('li', { class: 'k-' + t.kind },
        h('span.tr-kind', t.kind),
        h('span.tr-name', t.name || ''),
        h('span.tr-num', millis(t.millis) + (t.inputTokens || t.outputTokens ? ` · ${num(t.inputTokens)} in / ${num(t.outputTokens)} out` : '')),
        t.input ? h('details', h('summary', 'in'), h('pre.scroll', t.input)) : null,
        t.output ? h('details', { open: t.kind === 'decision' || t.kind === 'error' }, h('summary', 'out'), h('pre.scroll', t.output)) : null,
      ),
    ),
  );
}
