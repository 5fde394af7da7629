/* team.js — the team on shift, a page at a time: status, load (active / capacity), time in
 * current conversations, time since the last break. */
import H from '../common.js';
import { $, ageCell, call, say } from './util.js';
import { fillCareColumn } from './care.js';
import { latestOnly } from '../lib/latest.js';

const PAGE = 25;
const REFRESH_MS = 10000; // at most this often, and only when the summary's team changed
const team = { offset: 0, total: 0, loadedAt: 0, counts: '', timer: 0 };
// Pages asked for one after the other (next, then previous; a refresh, then a change of
// language): only the latest answer draws, else an older page could show under the pager.
const loads = latestOnly();

export async function loadTeam() {
  team.loadedAt = Date.now();
  const isLatest = loads.begin();
  try {
    const page = await call('GET', '/api/supervisor/team?offset=' + team.offset + '&limit=' + PAGE);
    if (!isLatest()) return;
    team.total = page.total;
    renderTeam(page.members || []);
  } catch (err) {
    if (isLatest()) say(H.errorKey(err.code));
  }
}

function breakCell(m) {
  if (m.status === 'break') return ageCell(m.status_since, 'supervisor.on_break_now');
  return ageCell(m.last_break_ended, 'supervisor.no_break');
}

function renderTeam(members) {
  H.setText($('team-summary'), 'supervisor.team_total', { n: team.total });
  $('team-rows').replaceChildren(...members.map((m) => {
    const tr = H.el('tr', {});
    tr.append(H.el('th', { scope: 'row', text: m.display_name }),
      H.el('td', { i18n: ['console.presence_' + (['available', 'busy', 'break'].includes(m.status) ? m.status : 'unknown')] }),
      H.el('td', { i18n: ['supervisor.load', { active: m.active, capacity: m.capacity }] }),
      ageCell(m.in_conversations_since, 'supervisor.none'), breakCell(m));
    return tr;
  }));
  /* feature: care */
  fillCareColumn($('team-rows'), members);
  /* /feature: care */
  renderPager($('team-pager'), team.offset, PAGE, team.total, (o) => { team.offset = o; loadTeam(); });
}

// The summary says the team changed: fetch the page again, no more than every REFRESH_MS.
export function teamChanged(sum) {
  const counts = JSON.stringify(sum.team_counts || {});
  if (counts === team.counts) return;
  const first = team.counts === '';
  team.counts = counts;
  if (first) return; // the first page was just loaded
  clearTimeout(team.timer);
  team.timer = setTimeout(loadTeam, Math.max(0, team.loadedAt + REFRESH_MS - Date.now()));
}

// Previous / next, with where we are ("21–40 of 120").
export function renderPager(node, offset, size, total, go) {
  const prev = H.el('button', { class: 'secondary', type: 'button', i18n: ['supervisor.previous'], disabled: offset <= 0 });
  const next = H.el('button', { class: 'secondary', type: 'button', i18n: ['supervisor.next'], disabled: offset + size >= total });
  prev.addEventListener('click', () => go(Math.max(0, offset - size)));
  next.addEventListener('click', () => go(offset + size));
  const where = H.el('span', { i18n: ['supervisor.range', { from: total ? offset + 1 : 0, to: Math.min(offset + size, total), total }] });
  node.replaceChildren(prev, ' ', where, ' ', next);
  node.hidden = total <= size && offset === 0;
}

export function resetTeam() { team.offset = 0; team.counts = ''; clearTimeout(team.timer); loads.cancel(); }
