// Building elements with text only: data is never parsed as markup.

/**
 * h('div.card', {onclick: fn, title: 'x'}, child, 'text', [more])
 * Strings become text nodes; attributes are set with setAttribute (never innerHTML).
 */
export function h(tag, attrs, ...children) {
  const [name, ...classes] = tag.split('.');
  const el = document.createElement(name || 'div');
  if (classes.length) el.className = classes.join(' ');
  if (attrs && (typeof attrs !== 'object' || attrs instanceof Node || Array.isArray(attrs))) {
    children.unshift(attrs);
    attrs = null;
  }
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2), v);
    else if (k === 'value') el.value = v;
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const c of children) {
    if (c === undefined || c === null || c === false) continue;
    if (Array.isArray(c)) append(el, c);
    else el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
}

const SVG = 'http://www.w3.org/2000/svg';

/** An SVG element with attributes; children as for h(). */
export function s(tag, attrs, ...children) {
  const el = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null) continue;
    if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2), v);
    else el.setAttribute(k, String(v));
  }
  append(el, children);
  return el;
}

/** Marks the page as drawn for the window's current width (tests and screenshots wait for it). */
export function drawn() {
  document.documentElement.dataset.drawnWidth = String(window.innerWidth);
}

export function clear(el, ...children) {
  el.replaceChildren();
  append(el, children);
  return el;
}

export const STATUSES = ['PENDING', 'SCHEDULED', 'QUEUED', 'RUNNING', 'COMPLETED', 'FAILED', 'CANCELLED'];
export const CANCELLABLE = ['PENDING', 'SCHEDULED', 'QUEUED', 'RUNNING'];
export const RETRYABLE = ['FAILED', 'CANCELLED'];

// a paused task keeps its status; this badge beside it says it waits for a resume
export function pausedBadge(task) {
  return task.paused ? h('span.badge.s-paused', { title: 'paused: not started until resumed' }, 'paused') : null;
}

export function badge(status) {
  return h('span.badge.s-' + String(status).toLowerCase(), status);
}

export function time(iso) {
  if (!iso) return '—';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return String(iso);
  return h('time', { datetime: iso, title: iso }, d.toLocaleString());
}

export function ago(iso) {
  if (!iso) return '—';
  const secs = Math.round((Date.now() - new Date(iso).getTime()) / 1000);
  const text =
    secs < -5 ? 'in ' + span(-secs) : secs < 5 ? 'just now' : span(secs) + ' ago';
  return h('time', { datetime: iso, title: new Date(iso).toLocaleString() }, text);
}

function span(secs) {
  if (secs < 60) return secs + ' s';
  if (secs < 3600) return Math.round(secs / 60) + ' min';
  if (secs < 86400) return Math.round(secs / 3600) + ' h';
  return Math.round(secs / 86400) + ' d';
}

export function millis(ms) {
  if (ms === null || ms === undefined || Number.isNaN(ms)) return '—';
  if (ms < 1000) return Math.round(ms) + ' ms';
  if (ms < 60000) return (ms / 1000).toFixed(ms < 10000 ? 2 : 1) + ' s';
  return Math.floor(ms / 60000) + ' min ' + Math.round((ms % 60000) / 1000) + ' s';
}

export function between(a, b) {
  if (!a || !b) return null;
  return new Date(b).getTime() - new Date(a).getTime();
}

export function num(n) {
  return n === null || n === undefined ? '—' : Number(n).toLocaleString();
}

export function money(n) {
  if (n === null || n === undefined) return '—';
  const v = Number(n);
  return '$' + (v === 0 ? '0' : v < 0.01 ? v.toPrecision(2) : v.toFixed(4));
}

/** The end of a task's id: its random part (ids are time-ordered, so their starts repeat). */
export function shortId(id) {
  return String(id).slice(-8);
}

/** A task's display name: its name, else the start of its prompt, else its type. */
export function title(task) {
  if (task.name) return task.name;
  if (task.prompt) return task.prompt.length > 60 ? task.prompt.slice(0, 60) + '…' : task.prompt;
  return task.type + ' ' + shortId(task.id);
}

/** Shows in a view's state line, as an alert, why the view cannot load. */
export function failed(state, text) {
  state.hidden = false;
  state.className = 'state error';
  state.setAttribute('role', 'alert');
  state.textContent = text;
}

/** Runs an action with its button disabled and its notice hidden; a refusal shows in the notice. */
export async function acting(button, notice, fn) {
  button.disabled = true;
  notice.hidden = true;
  try {
    await fn();
  } catch (e) {
    notice.hidden = false;
    notice.className = 'notice error';
    notice.textContent = 'Refused: ' + e.message;
  } finally {
    button.disabled = false;
  }
}

export function field(label, input, hint) {
  const id = input.id || 'f-' + Math.random().toString(36).slice(2, 9);
  input.id = id;
  return h('div.field', h('label', { for: id }, label), input, hint ? h('small', hint) : null);
}
