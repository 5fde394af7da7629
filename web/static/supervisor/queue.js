/* queue.js — the queue by skill (how many wait, the longest wait, risk-prioritised ones marked)
 * and the switchboard: pause offers for a skill, resume them. */
import H from '../common.js';
import { $, P, ageCell, skillText, call, say, audienceKey } from './util.js';

export function renderQueue(sum) {
  const rows = Array.isArray(sum.queue) ? sum.queue : [];
  H.setText($('queue-summary'), 'supervisor.queue_total', { n: sum.waiting_total || 0 });
  $('queue-empty').hidden = rows.length > 0;
  $('queue-rows').replaceChildren(...rows.map((q) => {
    const tr = H.el('tr', { class: q.prioritised ? 'prioritised' : null });
    tr.append(H.el('th', { scope: 'row', text: skillText(q.audience, q.language) }),
      H.el('td', { text: String(q.waiting) }), ageCell(q.oldest_since),
      H.el('td', q.prioritised ? { class: 'risk', i18n: ['supervisor.prioritised_n', { n: q.prioritised }] } : { text: '0' }),
      H.el('td', { i18n: [q.paused ? 'supervisor.offers_paused' : 'supervisor.offers_on'] }));
    return tr;
  }));
  if (Array.isArray(sum.paused)) renderPaused(sum.paused); // the HTTP summary; frames leave them to `switchboard`
}

// The pauses, with who and since when: from the HTTP summary, then each `switchboard` frame.
export function renderPaused(paused) {
  P.paused = paused;
  $('paused-list').replaceChildren(...paused.map((p) => {
    const resume = H.el('button', { class: 'secondary', type: 'button', i18n: ['supervisor.resume'] });
    resume.setAttribute('aria-label', H.t('supervisor.resume_skill', { skill: skillText(p.audience, p.language) }));
    resume.addEventListener('click', () => act('/api/switchboard/resume', p, 'supervisor.resumed'));
    return H.el('li', {}, [H.el('span', { i18n: ['supervisor.paused_line',
      { skill: skillText(p.audience, p.language), name: p.by, time: H.fmtTime(p.since) }] }), ' ', resume]);
  }));
}

async function act(path, skill, doneKey) {
  try {
    await call('POST', path, { audience: skill.audience, language: skill.language });
    say(doneKey, { skill: skillText(skill.audience, skill.language) });
  } catch (err) {
    say(H.errorKey(err.code));
  }
}

function fillChoices() {
  const aud = $('pause-audience');
  const keep = aud.value;
  aud.replaceChildren(...[...H.config.audiences, ''].map((a) => H.el('option', { value: a, i18n: [audienceKey(a)] })));
  if (keep) aud.value = keep;
  const lang = $('pause-language');
  const keepLang = lang.value;
  lang.replaceChildren(H.el('option', { value: '', i18n: ['supervisor.any_language'] }),
    ...H.config.languages.map((l) => H.el('option', { value: l.code, lang: l.code, text: l.name })));
  lang.value = keepLang;
}

export function wireQueue() {
  fillChoices();
  $('pause-form').addEventListener('submit', (e) => {
    e.preventDefault();
    act('/api/switchboard/pause', { audience: $('pause-audience').value, language: $('pause-language').value }, 'supervisor.paused');
  });
  H.onLanguage(() => { if (P.summary) renderQueue(P.summary); renderPaused(P.paused || []); });
}
