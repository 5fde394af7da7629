/* api.js — JSON over HTTP, retrying while the service is briefly unreachable, error keys. */

const ERROR_CODES = ['closed', 'invalid', 'unauthorized', 'not_found', 'conflict', 'rate_limited', 'unavailable', 'internal', 'network'];

// ---------------------------------------------------------------- HTTP

// detail: the error object of the body, e.g. {code: "closed", reason: "hours"}.
function apiError(code, detail) {
  const e = new Error(code);
  e.code = code;
  e.detail = detail || {};
  return e;
}

function codeForStatus(status) {
  return { 400: 'invalid', 401: 'unauthorized', 403: 'unauthorized', 404: 'not_found', 409: 'conflict', 429: 'rate_limited', 503: 'unavailable' }[status] || 'internal';
}

export async function api(method, path, body, token) {
  const headers = { Accept: 'application/json' };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  if (token) headers.Authorization = 'Bearer ' + token;
  let res;
  try {
    res = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body), credentials: 'same-origin', cache: 'no-store' });
  } catch (e) {
    throw apiError('network');
  }
  let data = null;
  if (res.status !== 204) { try { data = await res.json(); } catch (e) { /* empty or not JSON */ } }
  const detail = data && data.error && typeof data.error === 'object' ? data.error : null;
  if (!res.ok) {
    const err = apiError((detail && detail.code) || codeForStatus(res.status), detail);
    const seconds = parseInt(res.headers.get('Retry-After'), 10);
    if (seconds > 0) err.retryAfter = seconds * 1000;
    throw err;
  }
  return data;
}

// The service is briefly unreachable (the server said "unavailable", or no answer came):
// worth trying again by ourselves rather than asking the person to.
const RETRYABLE = ['unavailable', 'network'];
const RETRY_FIRST_MS = 2000;
const RETRY_MAX_MS = 30000;

// retrying runs attempt until it succeeds or fails for another reason. Before each new try it
// calls onWait(err) and waits the longer of the server's Retry-After and a backoff doubling from
// 2 s to 30 s, plus up to a fifth more at random, so pages coming back together spread out.
// When stop() turns true during a wait it gives up with the code 'stopped', which callers ignore.
export async function retrying(attempt, onWait, stop) {
  let backoff = RETRY_FIRST_MS;
  for (;;) {
    try {
      return await attempt();
    } catch (err) {
      if (!RETRYABLE.includes(err.code)) throw err;
      onWait(err);
      const wait = Math.max(err.retryAfter || 0, backoff) * (1 + Math.random() / 5);
      await new Promise((resolve) => setTimeout(resolve, wait));
      backoff = Math.min(backoff * 2, RETRY_MAX_MS);
      if (stop && stop()) throw apiError('stopped');
    }
  }
}

export function getJSON(path) { return api('GET', path); }

export function errorKey(code) { return 'error.' + (ERROR_CODES.includes(code) ? code : 'internal'); }

// crypto.randomUUID needs a secure context; getRandomValues works everywhere.
export function newClientId() {
  if (window.crypto && typeof crypto.randomUUID === 'function') return crypto.randomUUID();
  const b = crypto.getRandomValues(new Uint8Array(16));
  b[6] = (b[6] & 0x0f) | 0x40;
  b[8] = (b[8] & 0x3f) | 0x80;
  const h = Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
  return [h.slice(0, 8), h.slice(8, 12), h.slice(12, 16), h.slice(16, 20), h.slice(20)].join('-');
}
