/* handover.js — moving one conversation between the live page and the pages without
 * JavaScript (/nojs/, chat/PROTOCOL.md "Pages without JavaScript"). The live page gives the
 * server its credential (handOver), which the server keeps in an HttpOnly, SameSite=Strict
 * session cookie that only /nojs/ reads: if JavaScript is then switched off (Tor Browser
 * "Safest") the same browser finds its conversation there. handBack is the reverse: with the
 * anti-forgery token of a /nojs/ page, it gets the credential in that cookie. forgetHandover
 * drops the cookie. */

function post(path, body, beacon) {
  const json = JSON.stringify(body);
  if (beacon) {
    try { if (navigator.sendBeacon(path, new Blob([json], { type: 'application/json' }))) return; } catch (e) { /* fetch below */ }
  }
  try {
    fetch(path, { method: 'POST', keepalive: true, credentials: 'same-origin', headers: { 'Content-Type': 'application/json' }, body: json })
      .catch(() => {});
  } catch (e) { /* nothing to do: the page without JavaScript then starts afresh */ }
}

export function handOver(token) { if (token) post('/nojs/handover', { token }, false); }

export function forgetHandover(leaving) { post('/nojs/forget', {}, leaving); }

async function postJSON(path, body) {
  const res = await fetch(path, {
    method: 'POST', credentials: 'same-origin',
    headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body),
  });
  return res.status === 200 ? res.json() : null;
}

// The credential the cookie holds, as the live page stores it, or null.
export async function handBack(csrf) {
  try {
    const c = await postJSON('/nojs/handback', { csrf });
    if (!c || typeof c.token !== 'string' || typeof c.conversation_id !== 'string') return null;
    return { conversation_id: c.conversation_id, token: c.token, expires_at: typeof c.expires_at === 'string' ? c.expires_at : '' };
  } catch (e) {
    return null;
  }
}

// For a live page opened with nothing stored: a conversation this browser holds in the
// cookie (started without JavaScript), or null.
export async function resumeFromCookie() {
  try {
    const r = await postJSON('/nojs/resume', {});
    return r && typeof r.csrf === 'string' ? handBack(r.csrf) : null;
  } catch (e) {
    return null;
  }
}
