// Creating tasks: one task (now, at a time, or after a delay), a batch (one per line, all or
// nothing), from a template (its variables as fields), or a chain from a completed task.

import { get, post } from './api.js';
import { h, clear, field, title, shortId } from './dom.js';

export async function render(main, { params }) {
  const chainFrom = params.get('chain');
  if (chainFrom) return chainForm(main, chainFrom);
  const tab = params.get('tab') || 'one';
  const tabs = [
    ['one', 'One task'],
    ['batch', 'Batch'],
    ['template', 'From a template'],
  ];
  const body = h('div.tab-body');
  clear(
    main,
    h('h1', 'New task'),
    h('nav.tabs', { 'aria-label': 'Ways to create' },
      tabs.map(([k, label]) => h('a', { href: '#/new?tab=' + k, id: 'tab-' + k, 'aria-current': k === tab ? 'page' : null }, label))),
    body,
  );
  if (tab === 'batch') batchForm(body);
  else if (tab === 'template') await templateForm(body);
  else oneForm(body, null, null);
}

function notice() {
  return h('p.notice', { role: 'alert', hidden: true, id: 'form-error' });
}

function refuse(el, text) {
  el.hidden = false;
  el.className = 'notice error';
  el.textContent = text;
}

function labelsOf(text) {
  const labels = {};
  for (const part of text.split(',')) {
    const p = part.trim();
    if (!p) continue;
    const eq = p.indexOf('=');
    labels[eq < 0 ? p : p.slice(0, eq).trim()] = eq < 0 ? '' : p.slice(eq + 1).trim();
  }
  return Object.keys(labels).length ? labels : undefined;
}

/** The options every way of creating shares: name, model, schedule, priority, attempts, labels. */
function options(withName = true) {
  const name = h('input', { type: 'text', id: 'name', maxlength: 200 });
  const model = h('input', { type: 'text', id: 'model', placeholder: 'the default model' });
  const when = h('select', { id: 'when' }, h('option', { value: 'now' }, 'now'), h('option', { value: 'at' }, 'at a time'), h('option', { value: 'delay' }, 'after a delay'));
  const at = h('input', { type: 'datetime-local', id: 'run-at', hidden: true, 'aria-label': 'Run at' });
  const delay = h('input', { type: 'number', id: 'delay', min: 1, value: 10, hidden: true, 'aria-label': 'Delay' });
  const unit = h('select', { id: 'delay-unit', hidden: true, 'aria-label': 'Delay unit' }, h('option', { value: 'M' }, 'minutes'), h('option', { value: 'S' }, 'seconds'), h('option', { value: 'H' }, 'hours'));
  when.addEventListener('change', () => {
    at.hidden = when.value !== 'at';
    delay.hidden = unit.hidden = when.value !== 'delay';
  });
  const priority = h('input', { type: 'number', id: 'priority', value: 0 });
  const attempts = h('input', { type: 'number', id: 'max-attempts', min: 1, placeholder: 'default' });
  const labels = h('input', { type: 'text', id: 'labels', placeholder: 'team=geo, urgent' });
  const el = h('div.grid-fields',
    withName ? field('Name', name) : null,
    field('Model', model),
    h('div.field', h('label', { for: 'when' }, 'Start'), h('div.row-inputs', when, at, delay, unit)),
    field('Priority', priority, 'higher runs first'),
    field('Max attempts', attempts),
    field('Labels', labels, 'key=value, comma separated'),
  );
  const read = () => {
    const spec = {
      name: withName ? name.value.trim() || undefined : undefined,
      model: model.value.trim() || undefined,
      priority: priority.value === '' ? undefined : Number(priority.value),
      maxAttempts: attempts.value === '' ? undefined : Number(attempts.value),
      labels: labelsOf(labels.value),
    };
    if (when.value === 'at' && at.value) spec.runAt = new Date(at.value).toISOString();
    if (when.value === 'delay') spec.delay = (unit.value === 'H' ? 'PT' + delay.value + 'H' : 'PT' + delay.value + unit.value);
    return spec;
  };
  return { el, read, name };
}

function oneForm(container, parent, prefill) {
  const prompt = h('textarea', { id: 'prompt', rows: 8, required: !parent }, prefill || '');
  const opts = options();
  const type = h('input', { type: 'text', id: 'type', placeholder: 'llm' });
  const err = notice();
  const submit = h('button', { type: 'submit', id: 'create' }, parent ? 'Create the chained task' : 'Create task');
  const form = h('form.card', { onsubmit: async (e) => {
    e.preventDefault();
    submit.disabled = true;
    err.hidden = true;
    try {
      const spec = { ...opts.read(), prompt: prompt.value === '' ? undefined : prompt.value };
      let task;
      if (parent) task = await post('/tasks/' + parent.id + '/chain', spec);
      else task = await post('/tasks', { ...spec, type: type.value.trim() || undefined });
      location.hash = '#/task/' + task.id;
    } catch (ex) {
      refuse(err, 'Refused: ' + ex.message);
    } finally {
      submit.disabled = false;
    }
  } },
    field('Prompt', prompt, parent ? 'prefilled with the parent\'s output; {{parent.output}} also works' : null),
    opts.el,
    parent ? null : h('details', h('summary', 'More'), field('Type', type, 'a registered handler; empty for an LLM call')),
    err,
    h('div.buttons', submit),
  );
  container.append(form);
  prompt.focus();
}

async function chainForm(main, parentId) {
  try {
    const parent = await get('/tasks/' + parentId);
    clear(main,
      h('h1', 'Use as new task'),
      h('p', 'Chained from ', h('a', { href: '#/task/' + parent.id }, title(parent)), ' (' + shortId(parent.id) + ').'),
    );
    oneForm(main, parent, parent.output || '');
  } catch (e) {
    clear(main, h('p.state.error', { role: 'alert' }, 'Cannot load the parent task: ' + e.message));
  }
}

function batchForm(container) {
  const lines = h('textarea', { id: 'batch', rows: 10, placeholder: 'Rivers | Name three rivers\nName three mountains' });
  const model = h('input', { type: 'text', id: 'batch-model', placeholder: 'the default model' });
  const err = notice();
  const ok = h('p.notice.ok', { role: 'status', hidden: true, id: 'batch-ok' });
  const submit = h('button', { type: 'submit', id: 'create-batch' }, 'Create all');
  const form = h('form.card', { onsubmit: async (e) => {
    e.preventDefault();
    err.hidden = true;
    ok.hidden = true;
    const rows = [];
    lines.value.split('\n').forEach((text, i) => {
      if (text.trim()) rows.push({ line: i + 1, text });
    });
    if (!rows.length) {
      refuse(err, 'Write one task per line.');
      return;
    }
    const tasks = rows.map(({ text }) => {
      const bar = text.indexOf('|');
      const spec = bar < 0 ? { prompt: text.trim() } : { name: text.slice(0, bar).trim() || undefined, prompt: text.slice(bar + 1).trim() };
      if (model.value.trim()) spec.model = model.value.trim();
      return spec;
    });
    submit.disabled = true;
    try {
      const res = await post('/tasks/batch', { tasks });
      ok.hidden = false;
      ok.textContent = res.tasks.length + ' tasks created.';
      lines.value = '';
    } catch (ex) {
      const i = ex.problem && ex.problem.index;
      const where = Number.isInteger(i) && rows[i] ? 'Line ' + rows[i].line + ' ("' + rows[i].text.trim().slice(0, 60) + '"): ' : '';
      refuse(err, 'Nothing was created. ' + where + ex.message);
    } finally {
      submit.disabled = false;
    }
  } },
    field('Tasks, one per line', lines, '"Name | Prompt", or just the prompt; all are created or none'),
    field('Model for all', model),
    err, ok,
    h('div.buttons', submit),
  );
  container.append(form);
}

async function templateForm(container) {
  let templates;
  try {
    templates = await get('/templates');
  } catch (e) {
    container.append(h('p.state.error', { role: 'alert' }, 'Cannot load templates: ' + e.message));
    return;
  }
  if (!templates.length) {
    container.append(h('p.state.muted', 'No templates: set orchestrator.templates.<name> in the service.'));
    return;
  }
  const select = h('select', { id: 'template' }, templates.map((t) => h('option', { value: t.name }, t.name)));
  const preview = h('pre.template-text');
  const vars = h('div.grid-fields');
  const opts = options();
  const err = notice();
  const submit = h('button', { type: 'submit', id: 'create-from-template' }, 'Create task');
  const show = () => {
    const t = templates.find((x) => x.name === select.value);
    preview.textContent = t.text;
    clear(vars, t.variables.map((v) => field(v, h('textarea', { rows: 2, 'data-var': v, id: 'var-' + v }))));
  };
  select.addEventListener('change', show);
  const form = h('form.card', { onsubmit: async (e) => {
    e.preventDefault();
    err.hidden = true;
    const variables = {};
    for (const i of vars.querySelectorAll('[data-var]')) variables[i.dataset.var] = i.value;
    submit.disabled = true;
    try {
      const task = await post('/templates/' + encodeURIComponent(select.value) + '/tasks', { ...opts.read(), variables });
      location.hash = '#/task/' + task.id;
    } catch (ex) {
      refuse(err, 'Refused: ' + ex.message);
    } finally {
      submit.disabled = false;
    }
  } },
    field('Template', select), preview, vars, opts.el, err, h('div.buttons', submit));
  container.append(form);
  show();
}
