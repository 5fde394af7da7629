/* handover.js — keeps the page without JavaScript (/nojs/) able to take over: the live page
 * gives the server its credential, which the server keeps in an HttpOnly, SameSite=Strict
 * session cookie that only /nojs/ reads. If JavaScript is then switched off (Tor Browser
 * "Safest") the same browser finds its conversation there. forget drops that cookie. */

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
