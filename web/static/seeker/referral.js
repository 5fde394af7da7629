/* referral.js — on the seeker's page: a referral card in the chat shown as a card with a
 * copy button, and a warm referral the counsellor offered: exactly what would be sent and to
 * whom, the person's choice (only the code; also a name and a contact they type; or no), and
 * withdrawing before delivery. Only "Yes, send this" here sends anything.
 * Endpoints: chat/PROTOCOL.md "Referrals". */
import H from '../common.js';
import { latestOnly } from '../lib/latest.js';

const $ = (id) => document.getElementById(id);
let tokenOf = () => '';
let views = [];

export function initReferrals(token) {
  tokenOf = token;
  $('referral-offers').addEventListener('click', onClick);
  $('referral-offers').addEventListener('input', onInput);
  $('referral-offers').addEventListener('change', onInput);
  $('messages').addEventListener('click', (e) => {
    const b = e.target.closest('button.copy-card');
    if (b) copyCard(b);
  });
}

export function resetReferrals() {
  views = [];
  $('referral-offers').replaceChildren();
  $('referral-offers').hidden = true;
}

// After the message log drew msg: a referral card gets its label and copy button.
export function referralMessage(msg) {
  if (msg.kind !== 'referral') return;
  const li = $('messages').querySelector('li[data-seq="' + Number(msg.seq) + '"]');
  if (!li || li.classList.contains('card')) return;
  li.classList.add('card');
  li.querySelector('.msg-meta').append(H.el('span', { class: 'card-label', i18n: ['referral.card.label'] }));
  li.append(H.el('button', { type: 'button', class: 'secondary copy-card', i18n: ['referral.card.copy'] }));
}

async function copyCard(button) {
  const text = button.closest('li').querySelector('.msg-body').textContent;
  try { await navigator.clipboard.writeText(text); } catch (e) { /* the text stays selectable */ }
  H.setText(button, 'referral.card.copied');
  setTimeout(() => H.setText(button, 'referral.card.copy'), 3000);
}

// referral_offer and referral_status frames, and the page (re)connecting: ask what stands.
// Only the latest of several refreshes under way draws: an older answer arriving last would
// bring back an offer already answered.
const refreshes = latestOnly();
export async function refreshReferrals() {
  const isLatest = refreshes.begin();
  let res;
  try { res = await H.api('GET', '/api/seeker/referrals', undefined, tokenOf()); } catch (e) { return; }
  if (!isLatest()) return;
  views = (Array.isArray(res.referrals) ? res.referrals : []).filter((r) => r.warm);
  render();
}

function render() {
  const box = $('referral-offers');
  box.hidden = views.length === 0;
  for (const v of views) {
    let node = box.querySelector('[data-referral-id="' + CSS.escape(v.id) + '"]');
    const state = v.warm === 'offered' ? 'offered' : v.status;
    if (node && node.dataset.state === state) continue;
    const fresh = state === 'offered' ? offerForm(v) : outcome(v, state);
    fresh.dataset.referralId = v.id;
    fresh.dataset.state = state;
    if (state === 'offered') fillWouldSend(fresh, v);
    if (node) node.replaceWith(fresh); else box.append(fresh);
  }
}

function partnerOf(v) { return String(v.partner_name || v.service_name || ''); }

function offerForm(v) {
  const name = 'share-' + v.id;
  const choice = (value, key) => H.el('label', { class: 'choice' }, [
    H.el('input', { type: 'radio', name, value, checked: value === 'code_only' }), H.el('span', { i18n: [key] })]);
  return H.el('form', { class: 'referral-offer', novalidate: true }, [
    H.el('h2', { i18n: ['referral.offer.title'] }),
    H.el('p', { i18n: ['referral.offer.intro', { partner: partnerOf(v) }] }),
    H.el('fieldset', {}, [
      choice('code_only', 'referral.offer.choice_code'),
      choice('with_contact', 'referral.offer.choice_contact'),
      choice('no', 'referral.offer.choice_no'),
    ]),
    H.el('div', { class: 'referral-contact', hidden: true }, [
      H.el('label', { for: 'rn-' + v.id, i18n: ['referral.offer.name'] }),
      H.el('input', { id: 'rn-' + v.id, class: 'referral-name', maxlength: 200, autocomplete: 'off' }),
      H.el('label', { for: 'rc-' + v.id, i18n: ['referral.offer.contact'] }),
      H.el('input', { id: 'rc-' + v.id, class: 'referral-contact-input', maxlength: 200, autocomplete: 'off' }),
    ]),
    H.el('p', { i18n: ['referral.offer.would_send', { partner: partnerOf(v) }] }),
    H.el('ul', { class: 'would-send' }),
    H.el('p', { class: 'muted', i18n: ['referral.offer.never'] }),
    H.el('p', { class: 'error referral-error', role: 'alert', hidden: true }),
    H.el('div', { class: 'actions' }, [
      H.el('button', { type: 'button', class: 'primary referral-send', i18n: ['referral.offer.send'] }),
      H.el('button', { type: 'button', class: 'secondary referral-decline', i18n: ['referral.offer.decline'] }),
    ]),
  ]);
}

// What would be sent, line by line, exactly as the partner would get it.
function fillWouldSend(form, v) {
  const s = v.would_send || {};
  const share = form.querySelector('input[type=radio]:checked').value;
  const lines = [['referral.offer.field_code', { code: s.referral_code }], ['referral.offer.field_service', { service: v.service_name }]];
  if (s.language) lines.push(['referral.offer.field_language', { language: H.languageName(s.language) || s.language }]);
  lines.push(['referral.offer.field_audience', { audience: H.t('referral.audience.' + (s.audience || '')) }]);
  if (s.region) lines.push(['referral.offer.field_region', { region: s.region }]);
  if (share === 'with_contact') {
    const name = form.querySelector('.referral-name').value.trim();
    const contact = form.querySelector('.referral-contact-input').value.trim();
    if (name) lines.push(['referral.offer.field_name', { name }]);
    if (contact) lines.push(['referral.offer.field_contact', { contact }]);
  }
  form.querySelector('.would-send').replaceChildren(...lines.map(([k, a]) => H.el('li', { i18n: [k, a] })));
  form.querySelector('.referral-contact').hidden = share !== 'with_contact';
  form.querySelector('.referral-send').hidden = share === 'no';
  form.querySelector('.would-send').parentNode.hidden = false;
}

function outcome(v, state) {
  const args = { partner: partnerOf(v), code: v.would_send ? v.would_send.referral_code : '' };
  const key = { pending: 'referral.offer.sent_pending', delivered: 'referral.offer.delivered', failed: 'referral.offer.failed',
    withdrawn: 'referral.offer.withdrawn', declined: 'referral.offer.declined', contact_made: 'referral.offer.contact_made' }[state]
    || 'referral.offer.sent_pending';
  return H.el('div', { class: 'referral-outcome', role: 'status' }, [
    H.el('p', { i18n: [key, args] }),
    state === 'pending' ? H.el('button', { type: 'button', class: 'secondary referral-withdraw', i18n: ['referral.offer.withdraw'] }) : null,
  ]);
}

function viewOf(node) {
  const box = node.closest('[data-referral-id]');
  return box && views.find((v) => v.id === box.dataset.referralId);
}

function onInput(e) {
  const form = e.target.closest('form.referral-offer');
  const v = form && viewOf(form);
  if (v) fillWouldSend(form, v);
}

async function onClick(e) {
  const b = e.target.closest('button');
  const v = b && viewOf(b);
  if (!v) return;
  const path = '/api/seeker/referrals/' + encodeURIComponent(v.id) + '/';
  const form = b.closest('form');
  let body;
  let action = '';
  if (b.classList.contains('referral-send')) {
    const share = form.querySelector('input[type=radio]:checked').value;
    body = { confirm: 'send', sharing: share };
    if (share === 'with_contact') {
      body.name = form.querySelector('.referral-name').value.trim();
      body.contact = form.querySelector('.referral-contact-input').value.trim();
      if (!body.name && !body.contact) { showError(form, 'referral.offer.need_contact'); return; }
    }
    action = 'consent';
  } else if (b.classList.contains('referral-decline')) action = 'decline';
  else if (b.classList.contains('referral-withdraw')) action = 'withdraw';
  if (!action) return;
  b.disabled = true;
  try {
    await H.api('POST', path + action, body, tokenOf());
  } catch (err) {
    if (form) showError(form, H.errorKey(err.code));
    b.disabled = false;
  }
  await refreshReferrals();
}

function showError(form, key) {
  const p = form.querySelector('.referral-error');
  H.setText(p, key);
  p.hidden = false;
}
