// API client: JSON over fetch with a bearer token, and livesell's one error
// shape {"error":{"code","message"}} turned into ApiError.

/** An API answer that was not 2xx. */
export class ApiError extends Error {
  constructor(status, code, message, retryAfter) {
    super(message || code || `HTTP ${status}`);
    this.name = 'ApiError';
    this.status = status;
    this.code = code || '';
    /** Seconds the server asked to wait (Retry-After), or 0. */
    this.retryAfter = retryAfter || 0;
  }
}

/** Reads an error answer into an ApiError. */
export async function errorFrom(res) {
  let code = '', message = '';
  try {
    const doc = await res.json();
    if (doc && doc.error) { code = String(doc.error.code || ''); message = String(doc.error.message || ''); }
  } catch (_) { /* not JSON */ }
  const ra = parseInt(res.headers.get('Retry-After') || '0', 10);
  return new ApiError(res.status, code, message || `${res.status} ${res.statusText}`, Number.isFinite(ra) ? ra : 0);
}

/** Returns a random idempotency key. */
export function newIdempotencyKey() {
  const b = new Uint8Array(16);
  crypto.getRandomValues(b);
  return Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
}

/**
 * Client of the HTTP APIs at base (an origin, '' for this page's own).
 * token is a function returning the current bearer token (or '').
 */
export class Api {
  constructor(base = '', token = () => '') {
    this.base = base.replace(/\/$/, '');
    this.token = typeof token === 'function' ? token : () => token;
  }

  url(path) { return this.base + path; }

  async request(method, path, { body, headers = {}, idempotencyKey, signal, raw } = {}) {
    const h = { ...headers };
    const tok = this.token();
    if (tok) h.Authorization = `Bearer ${tok}`;
    if (idempotencyKey) h['Idempotency-Key'] = idempotencyKey;
    let payload;
    if (body !== undefined) { h['Content-Type'] = 'application/json'; payload = JSON.stringify(body); }
    const res = await fetch(this.url(path), { method, headers: h, body: payload, signal, credentials: 'omit' });
    if (raw) return res;
    if (!res.ok) throw await errorFrom(res);
    if (res.status === 204) return null;
    const ct = res.headers.get('Content-Type') || '';
    return ct.includes('json') ? res.json() : res.text();
  }

  get(path, opts) { return this.request('GET', path, opts); }
  post(path, body, opts = {}) { return this.request('POST', path, { ...opts, body }); }
  put(path, body, opts = {}) { return this.request('PUT', path, { ...opts, body }); }
  patch(path, body, opts = {}) { return this.request('PATCH', path, { ...opts, body }); }
  del(path, opts) { return this.request('DELETE', path, opts); }
}

/** Fetches the browser configuration (ICE servers) once. */
let configPromise;
export function browserConfig(base = '') {
  if (!configPromise) {
    configPromise = fetch(base.replace(/\/$/, '') + '/web/config.json', { credentials: 'omit' })
      .then((r) => (r.ok ? r.json() : { ice_servers: [] }))
      .catch(() => ({ ice_servers: [] }));
  }
  return configPromise;
}

/** Formats integer minor units of currency as money. */
export function money(minor, currency = 'USD') {
  const n = Number(minor || 0) / 100;
  try {
    return new Intl.NumberFormat(undefined, { style: 'currency', currency: currency || 'USD' }).format(n);
  } catch (_) {
    return `${n.toFixed(2)} ${currency || ''}`.trim();
  }
}

/** The room id of /studio/{room} or /live/{room}. */
export function roomFromPath() {
  const parts = location.pathname.split('/').filter(Boolean);
  return decodeURIComponent(parts[1] || '');
}

/** Removes every child of el. */
export function clear(el) { while (el.firstChild) el.removeChild(el.firstChild); }

/**
 * Creates an element with properties, attributes and children. Strings
 * become text nodes: user text is never parsed as HTML.
 */
export function h(tag, props = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(props || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k === 'class') el.className = v;
    else if (k === 'text') el.textContent = v;
    else if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2), v);
    else if (k === 'dataset') Object.assign(el.dataset, v);
    else if (k in el && typeof v !== 'string') el[k] = v;
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  for (const c of children.flat()) {
    if (c === null || c === undefined || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return el;
}
