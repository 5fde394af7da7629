/* referral.js — refer the open conversation's seeker to a service: search the directory
 * (prefilled with the seeker's answers, editable), send a referral card, offer a warm
 * referral, follow each referral's status (referral_status frames), and, for supervisors
 * and admins, retry one that failed. Endpoints: chat/PROTOCOL.md "Referrals". */
import H from '../common.js';
import { S, peek, me } from './state.js';
import { $, flash } from './util.js';
import { latestOnly } from '../lib/latest.js';

let shownFor = ''; // the conversation the panel was last filled for
let cardIds = 0;

function token() { return S.session && S.session.token; }
function base(id) { return '/api/staff/conversations/' + encodeURIComponent(id); }

// Called whenever the conversation pane is drawn.
export function renderReferral() {
  const st = S.openId && S.client && S.client.convs.get(S.openId);
  const watching = !!(st && peek(S.openId).watched);
  const usable = !!(st && st.conv && (st.conv.status === 'active' || watching));
  $('c-referral').hidden = !usable;
  // Watching supervisors see the referrals (and retry a failed one), they do not refer.
  $('c-referral-open').hidden = watching || !st || st.conv.status !== 'active';
  if (!usable || shownFor === S.openId) return;
  shownFor = S.openId;
  $('c-referral-form').hidden = true;
  $('c-referral-open').setAttribute('aria-expanded', 'false');
  $('c-referral-results').replaceChildren();
  $('c-referral-none').hidden = true;
  loadList();
}

async function search(prefilled) {
  const id = S.openId;
  let path = base(id) + '/directory';
  if (!prefilled) {
    const q = new URLSearchParams();
    q.set('region', $('c-referral-region').value.trim());
    q.set('audience', $('c-referral-audience').value);
    q.set('language', $('c-referral-language').value.trim());
    path += '?' + q.toString();
  }
  let res;
  try { res = await H.api('GET', path, undefined, token()); } catch (err) { flash(H.errorKey(err.code)); return; }
  if (id !== S.openId) return;
  if (prefilled) {
    $('c-referral-region').value = res.query.region || '';
    $('c-referral-audience').value = res.query.audience || '';
    $('c-referral-language').value = res.query.language || '';
  }
  const services = Array.isArray(res.services) ? res.services : [];
  $('c-referral-none').hidden = services.length > 0;
  $('c-referral-results').replaceChildren(...services.map(resultItem));
}

function resultItem(s) {
  const meta = [];
  if (s.open_now === true) meta.push(H.t('referral.console.open_now'));
  if (s.open_now === false) meta.push(H.t('referral.console.closed_now'));
  if (s.verified_on) meta.push(H.t('referral.console.verified', { date: s.verified_on }));
  return H.el('li', { class: 'referral-result', dataset: { serviceId: s.id } }, [
    H.el('strong', { text: String(s.name || s.id) }),
    H.el('p', { text: String(s.description || '') }),
    H.el('p', { class: 'muted', text: [(s.regions || []).join(', '), (s.languages || []).join(', '), ...meta].filter(Boolean).join(' · ') }),
    H.el('button', { type: 'button', class: 'primary send-card', i18n: ['referral.console.send'], dataset: { serviceId: s.id } }),
  ]);
}

async function sendCard(serviceId, button) {
  button.disabled = true;
  const clientId = 'card-' + Date.now().toString(36) + '-' + (++cardIds);
  try {
    await H.api('POST', base(S.openId) + '/referrals', { service_id: serviceId, client_id: clientId }, token());
    await loadList();
  } catch (err) {
    flash(H.errorKey(err.code));
  } finally {
    button.disabled = false;
  }
}

// Several loads can be under way (our own action, and the referral_status frame it causes).
// Only the latest one draws: an older answer arriving last would show a state that has
// passed. And the same list is not drawn again: a redraw replaces the buttons, so a press
// in progress on one (or the keyboard focus on it) would be lost.
const listLoads = latestOnly();
let listDrawn = '';

export async function loadList() {
  const id = S.openId;
  if (!id) return;
  const isLatest = listLoads.begin();
  let res;
  try { res = await H.api('GET', base(id) + '/referrals', undefined, token()); } catch (err) { return; }
  if (id !== S.openId || !isLatest()) return;
  const list = Array.isArray(res.referrals) ? res.referrals : [];
  const drawn = JSON.stringify([id, me().role, list]);
  if (drawn === listDrawn && $('c-referral-list').childElementCount === list.length) return;
  listDrawn = drawn;
  $('c-referral-list').replaceChildren(...list.map(listItem));
}

function listItem(r) {
  const staffRole = me().role;
  return H.el('li', { class: 'referral-item', dataset: { referralId: r.id, status: r.status } }, [
    H.el('span', { text: String(r.service_name || r.service_id) + ' — ' }),
    H.el('span', { class: 'referral-status', i18n: ['referral.status.' + r.status] }),
    r.warm_possible && r.status === 'sent'
      ? H.el('button', { type: 'button', class: 'secondary offer-warm', i18n: ['referral.console.warm'], dataset: { referralId: r.id } }) : null,
    r.status === 'failed' && (staffRole === 'supervisor' || staffRole === 'admin')
      ? H.el('button', { type: 'button', class: 'secondary retry-referral', i18n: ['referral.console.retry'], dataset: { referralId: r.id } }) : null,
  ]);
}

async function act(path, button) {
  button.disabled = true;
  try { await H.api('POST', path, undefined, token()); await loadList(); } catch (err) { flash(H.errorKey(err.code)); }
  button.disabled = false; // replaced by the new list, or (the list unchanged) usable again
}

// referral_status and referral_partner_disabled frames.
export function onReferralFrame(f) {
  if (f.type === 'referral_partner_disabled') { flash('referral.console.partner_disabled', { name: String(f.name || f.partner_id || '') }); return; }
  if (f.status === 'failed') flash('referral.console.failed_alert', { service: String(f.service_name || f.referral_id || '') });
  if (f.conversation_id && f.conversation_id === S.openId) loadList();
}

export function wireReferral() {
  $('c-referral-open').addEventListener('click', () => {
    const form = $('c-referral-form');
    form.hidden = !form.hidden;
    $('c-referral-open').setAttribute('aria-expanded', String(!form.hidden));
    if (!form.hidden) { search(true); $('c-referral-region').focus(); }
  });
  $('c-referral-form').addEventListener('submit', (e) => { e.preventDefault(); search(false); });
  $('c-referral-results').addEventListener('click', (e) => {
    const b = e.target.closest('button.send-card');
    if (b) sendCard(b.dataset.serviceId, b);
  });
  $('c-referral-list').addEventListener('click', (e) => {
    const warm = e.target.closest('button.offer-warm');
    if (warm) act(base(S.openId) + '/referrals/' + encodeURIComponent(warm.dataset.referralId) + '/warm', warm);
    const retry = e.target.closest('button.retry-referral');
    if (retry) act('/api/staff/referrals/' + encodeURIComponent(retry.dataset.referralId) + '/retry', retry);
  });
}
