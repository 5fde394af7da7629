/* live.js — the live conversations, a page at a time: counsellor, skill, age, since the last
 * seeker and counsellor message, who is watching; "Open" watches it in the console. */
import H from '../common.js';
import { $, ageCell, skillText, call, say } from './util.js';
import { renderPager } from './team.js';
import { latestOnly } from '../lib/latest.js';

const PAGE = 25;
const REFRESH_MS = 15000; // the page shown is read again this often while the tab is visible
const live = { offset: 0, total: 0, timer: 0, shown: -1 };
// Only the latest load draws, and only it sets the next refresh: an older answer arriving
// last would show a page that has passed and start a second round of refreshes.
const loads = latestOnly();

export async function loadLive() {
  clearTimeout(live.timer);
  const isLatest = loads.begin();
  try {
    const page = await call('GET', '/api/supervisor/conversations?offset=' + live.offset + '&limit=' + PAGE);
    if (!isLatest()) return;
    live.total = page.total;
    renderLive(page.conversations || []);
  } catch (err) {
    if (!isLatest()) return;
    say(H.errorKey(err.code));
  }
  live.timer = setTimeout(refresh, REFRESH_MS);
}

function refresh() {
  if (document.visibilityState === 'hidden') live.timer = setTimeout(refresh, REFRESH_MS);
  else loadLive();
}

function renderLive(convs) {
  H.setText($('live-summary'), 'supervisor.live_total', { n: live.total });
  $('live-rows').replaceChildren(...convs.map((c) => {
    const who = c.counselor || H.t('supervisor.none');
    // No typed ids: the console opens with this conversation and watches it (the id travels in
    // the address's fragment, which the browser never sends to the server).
    const open = H.el('a', { class: 'button-link', href: '/console#watch=' + encodeURIComponent(c.id), i18n: ['supervisor.open'] });
    open.setAttribute('aria-label', H.t('supervisor.open_with', { name: who, skill: skillText(c.audience, c.language) }));
    const watchers = Array.isArray(c.watchers) && c.watchers.length ? c.watchers.join(', ') : H.t('supervisor.nobody');
    const tr = H.el('tr', { dataset: { id: c.id } });
    tr.append(H.el('th', { scope: 'row', text: who }), H.el('td', { text: skillText(c.audience, c.language) }),
      ageCell(c.created_at), ageCell(c.last_seeker_at, 'supervisor.not_yet'), ageCell(c.last_counselor_at, 'supervisor.not_yet'),
      H.el('td', { text: watchers }), H.el('td', {}, [open]));
    return tr;
  }));
  renderPager($('live-pager'), live.offset, PAGE, live.total, (o) => { live.offset = o; loadLive(); });
}

// The summary's count of live conversations changed: a first page that is not full shows it at once.
export function liveChanged(sum) {
  if (sum.live_total === live.shown) return;
  const first = live.shown < 0;
  live.shown = sum.live_total;
  if (!first && live.offset === 0 && (live.total < PAGE || sum.live_total < PAGE)) loadLive();
}

export function resetLive() { live.offset = 0; live.shown = -1; clearTimeout(live.timer); loads.cancel(); }
