/* nojs-upgrade.js — progressive enhancement for the pages without JavaScript (/nojs/):
 * when JavaScript runs after all, go to the live page at /. A page of a conversation
 * (body[data-handback], its anti-forgery token) first asks the server for the credential
 * its cookie holds, and stores it where the live page looks for it, so the conversation
 * goes on there with its place and every message. */
import { store } from './lib/store.js';

async function upgrade() {
  const csrf = document.body && document.body.dataset.handback;
  if (csrf) {
    try {
      const res = await fetch('/nojs/handback', {
        method: 'POST', credentials: 'same-origin',
        headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ csrf }),
      });
      if (!res.ok) return; // stay on the page that works without JavaScript
      const cred = await res.json();
      if (!cred || typeof cred.token !== 'string' || typeof cred.conversation_id !== 'string') return;
      store.set('local', 'seeker', { conversation_id: cred.conversation_id, token: cred.token, expires_at: cred.expires_at || '' });
    } catch (e) {
      return;
    }
  }
  location.replace('/');
}

upgrade();
