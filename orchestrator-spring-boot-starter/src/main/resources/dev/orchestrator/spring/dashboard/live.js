// Live updates: one EventSource on the API's event stream, shared by every view. While the
// stream is down (EventSource reconnects by itself, resuming with Last-Event-ID), views are told to
// poll every few seconds instead; once it is back, polling stops.

import { apiBase } from './api.js';

const listeners = new Set();
const statusListeners = new Set();
let source = null;
let pollTimer = null;
let state = 'connecting';

export const POLL_MS = 3000;

// a page left (or put in the back-forward cache) gives its connection back; one shown again reopens
window.addEventListener('pagehide', () => {
  if (source) source.close();
  source = null;
});
window.addEventListener('pageshow', (e) => {
  if (e.persisted) start();
});

export function start() {
  if (source) return;
  source = new EventSource(apiBase() + '/events');
  source.addEventListener('open', () => {
    const wasDown = state !== 'live';
    setState('live');
    stopPolling();
    // (re)connected: whatever changed before the stream reached the server is read once
    if (wasDown) for (const l of [...listeners]) l.onPoll && l.onPoll();
  });
  source.addEventListener('task', (msg) => {
    let event;
    try {
      event = JSON.parse(msg.data);
    } catch (e) {
      return;
    }
    for (const l of [...listeners]) l.onEvent && l.onEvent(event);
  });
  source.addEventListener('error', () => {
    setState(source.readyState === EventSource.CLOSED ? 'offline' : 'reconnecting');
    startPolling();
    if (source.readyState === EventSource.CLOSED) {
      source = null;
      setTimeout(start, POLL_MS); // a stream the browser gave up on: open a new one later
    }
  });
}

function startPolling() {
  if (pollTimer) return;
  pollTimer = setInterval(() => {
    for (const l of [...listeners]) l.onPoll && l.onPoll();
  }, POLL_MS);
}

function stopPolling() {
  if (pollTimer) clearInterval(pollTimer);
  pollTimer = null;
}

function setState(s) {
  state = s;
  for (const l of statusListeners) l(s);
}

export function onStatus(fn) {
  statusListeners.add(fn);
  fn(state);
}

/** Subscribes a view: {onEvent(taskEvent), onPoll()}; returns the unsubscribe function. */
export function subscribe(listener) {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

/** Calls fn at most once per `ms`, with the latest arguments (trailing). */
export function throttle(fn, ms) {
  let timer = null;
  return () => {
    if (timer) return;
    timer = setTimeout(() => {
      timer = null;
      fn();
    }, ms);
  };
}
