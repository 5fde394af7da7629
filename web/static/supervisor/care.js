/* care.js — the team list's care column: each member's time in conversations this shift, and a
 * badge when they are near or past the daily exposure cap (GET /api/care/team, supervisors only;
 * an admin's page leaves the column empty). Filled after the team page is drawn. */
import H from '../common.js';
import { call } from './util.js';

function duration(seconds) {
  const m = Math.floor(Math.max(0, seconds || 0) / 60);
  if (m < 60) return H.t('care.duration_m', { m });
  return H.t('care.duration_hm', { h: Math.floor(m / 60), m: String(m % 60).padStart(2, '0') });
}

function fill(td, entry) {
  if (!entry) { td.replaceChildren(); return; }
  const time = duration(entry.exposure_seconds);
  if (entry.cap_state === 'near' || entry.cap_state === 'past') {
    td.replaceChildren(H.el('span', { class: 'care-badge care-' + entry.cap_state, i18n: ['care.team_' + entry.cap_state, { time }] }));
  } else {
    td.replaceChildren(H.el('span', { i18n: ['care.team_ok', { time }] }));
  }
}

const REFRESH_MS = 60000; // exposure grows while the team list stays the same: look again every minute
const shown = { cells: [], members: [], timer: 0 };

// Adds the care cell to each row of the team table (rows in the order of members), then fills it.
export function fillCareColumn(tbody, members) {
  shown.cells = Array.from(tbody.rows).map((tr) => tr.appendChild(H.el('td', { class: 'care-cell' })));
  shown.members = members;
  clearInterval(shown.timer);
  shown.timer = setInterval(() => { if (shown.cells.length && shown.cells[0].isConnected) refresh(); }, REFRESH_MS);
  return refresh();
}

async function refresh() {
  const { cells, members } = shown;
  let res;
  try {
    res = await call('GET', '/api/care/team');
  } catch (e) {
    if (e.code === 'not_found') { // admins see no care figures: no column
      cells.forEach((td) => td.remove());
      document.getElementById('team-care-col').hidden = true;
    }
    return; // offline: the column stays empty until the next page
  }
  document.getElementById('team-care-col').hidden = false;
  const byId = new Map(((res && res.members) || []).map((e) => [String(e.id), e]));
  members.forEach((m, i) => { if (cells[i]) fill(cells[i], byId.get(String(m.id))); });
}
