// The REST API: JSON in, JSON out; a refusal becomes an ApiError carrying the RFC 9457 problem.

let base = '/orchestrator/api';

export function setBase(path) {
  base = path.replace(/\/$/, '');
}

export function apiBase() {
  return base;
}

export class ApiError extends Error {
  constructor(status, problem) {
    super(message(status, problem));
    this.status = status;
    this.problem = problem || {};
  }
}

function message(status, problem) {
  if (problem && (problem.detail || problem.title)) {
    const kind = problem.problem ? problem.problem + ': ' : '';
    return kind + (problem.detail || problem.title);
  }
  return status ? 'the server answered ' + status : 'the server cannot be reached';
}

/** The CSRF token a host's Spring Security put in the standard XSRF-TOKEN cookie, if any. */
function csrfToken() {
  const m = document.cookie.match(/(?:^|;\s*)XSRF-TOKEN=([^;]*)/);
  return m ? decodeURIComponent(m[1]) : null;
}

async function request(method, path, body) {
  const headers = { Accept: 'application/json, application/problem+json' };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  if (method !== 'GET') {
    const token = csrfToken();
    if (token) {
      headers['X-XSRF-TOKEN'] = token;
      headers['X-CSRF-TOKEN'] = token;
    }
  }
  let res;
  try {
    res = await fetch(base + path, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      credentials: 'same-origin',
    });
  } catch (e) {
    throw new ApiError(0, null);
  }
  const text = await res.text();
  let data = null;
  if (text) {
    try {
      data = JSON.parse(text);
    } catch (e) {
      data = null;
    }
  }
  if (!res.ok) throw new ApiError(res.status, data);
  return data;
}

export const get = (path) => request('GET', path);
export const post = (path, body) => request('POST', path, body === undefined ? {} : body);
export const put = (path, body) => request('PUT', path, body === undefined ? {} : body);
export const del = (path) => request('DELETE', path);

/** GET that answers null on 404: for endpoints a server may not have yet. */
export async function optional(path) {
  try {
    return await get(path);
  } catch (e) {
    if (e.status === 404) return null;
    throw e;
  }
}

export function query(params) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) {
    if (v === undefined || v === null || v === '') continue;
    for (const one of Array.isArray(v) ? v : [v]) q.append(k, one);
  }
  const s = q.toString();
  return s ? '?' + s : '';
}
