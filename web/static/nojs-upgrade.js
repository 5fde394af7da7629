/* nojs-upgrade.js — progressive enhancement for the pages without JavaScript (/nojs/):
 * when JavaScript runs after all, go to the live page at /. A page of a conversation
 * (body[data-handback], its anti-forgery token) first gets the credential its cookie holds
 * and stores it where the live page looks for it, so the conversation goes on there with
 * its place and every message. */
import { store } from './lib/store.js';
import { handBack } from './lib/handover.js';

async function upgrade() {
  const csrf = document.body && document.body.dataset.handback;
  if (csrf) {
    const cred = await handBack(csrf);
    if (!cred) return; // stay on the page that works without JavaScript
    store.set('local', 'seeker', cred);
  }
  location.replace('/');
}

upgrade();
