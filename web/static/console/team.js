/* team.js — who is on shift: the `team` frame, then the `team_changes` that follow it. */
import H from '../common.js';
import { S, me } from './state.js';
import { $, setPlain } from './util.js';
import { onMember } from './status.js';
import { teamChangedUnderTransfer } from './transfer.js';
import { askForSnapshots } from './streams.js';

function teamMembers(list) {
  return Array.isArray(list) ? list.filter((m) => m && typeof m.id === 'string') : [];
}

// The team as the server lists it: at most the first 50 on shift (team_total says how many in
// all), and the version of that list. Sent when the socket opens, and again when we ask.
export function onTeam(f) {
  S.team = teamMembers(f.team);
  S.teamTotal = Number.isInteger(f.team_total) ? f.team_total : S.team.length;
  S.teamVersion = Number.isInteger(f.team_version) ? f.team_version : null;
  S.snapshotAsked = false;
  teamChanged();
}

// After that only what changed: members new to the list (whole), the changed fields of others
// (with their id), and the ids of those gone. A change for someone not on our list is dropped:
// it came before our `team` frame, or their removal follows it. Each change carries the
// version it makes: one our list already includes is skipped, and one that skips a version
// means we missed something, so we ask for the list again.
export function onTeamChanges(f) {
  if (Number.isInteger(f.team_version) && S.teamVersion !== null) {
    if (f.team_version <= S.teamVersion) return;
    if (f.team_version > S.teamVersion + 1) { askForSnapshots(); return; }
    S.teamVersion = f.team_version;
  }
  const added = teamMembers(f.added);
  const replaced = new Set(Array.isArray(f.gone) ? f.gone : []);
  added.forEach((m) => replaced.add(m.id));
  const changes = new Map(teamMembers(f.changed).map((c) => [c.id, c]));
  S.team = S.team.filter((m) => !replaced.has(m.id))
    .map((m) => (changes.has(m.id) ? Object.assign({}, m, changes.get(m.id)) : m))
    .concat(added);
  if (Number.isInteger(f.team_total)) S.teamTotal = f.team_total;
  teamChanged();
}

function teamChanged() {
  const own = S.team.find((m) => m.id === me().id);
  if (own) onMember({ member: own });
  renderTeam();
  teamChangedUnderTransfer();
}

// Keeps our own entry in step with a `status` frame about us.
export function updateOwnEntry(member) {
  const i = S.team.findIndex((m) => m && m.id === member.id);
  if (i >= 0) S.team[i] = Object.assign({}, S.team[i], { status: member.status, capacity: member.capacity, max_capacity: member.max_capacity });
}

// Who is on shift: name, status in words, and how full they are.
export function renderTeam() {
  const myId = me().id;
  const list = S.team.slice().sort((a, b) => (b.id === myId) - (a.id === myId)
    || String(a.display_name || '').localeCompare(String(b.display_name || ''), H.lang || undefined));
  H.syncList($('team'), list, (m) => m.id,
    () => H.el('li', { class: 'team-member' }, [
      H.el('span', { class: 'team-who' }, [H.el('span', { class: 'team-name' }), ' ', H.el('span', { class: 'team-you' })]),
      H.el('span', { class: 'team-status' }),
      H.el('span', { class: 'team-load' }),
      H.el('span', { class: 'team-skills' }, [H.el('span', { class: 'team-langs' }), ' ', H.el('span', { class: 'team-young' })]),
    ]),
    (li, m) => {
      li.dataset.status = String(m.status || '');
      li.classList.toggle('me', m.id === myId);
      setPlain(li.querySelector('.team-name'), String(m.display_name || ''));
      if (m.id === myId) H.setText(li.querySelector('.team-you'), 'console.team_you'); else H.clearText(li.querySelector('.team-you'));
      const known = ['available', 'busy', 'break'].includes(m.status);
      H.setText(li.querySelector('.team-status'), known ? 'console.presence_' + m.status : 'console.presence_unknown');
      H.setText(li.querySelector('.team-load'), 'console.capacity', { active: m.active || 0, capacity: m.capacity || 0 });
      const langs = Array.isArray(m.languages) ? m.languages.map((l) => H.languageName(String(l))) : [];
      setPlain(li.querySelector('.team-langs'), langs.join(', '));
      const young = Array.isArray(m.audiences) && m.audiences.includes('young');
      if (young) H.setText(li.querySelector('.team-young'), 'console.team_young'); else H.clearText(li.querySelector('.team-young'));
    });
  $('team-empty').hidden = list.length > 0;
  renderTeamMore(list.length);
}

// "N more on shift", under the list, when the server lists only the first of a large team.
function renderTeamMore(listed) {
  let more = $('team-more');
  if (!more) {
    more = H.el('p', { id: 'team-more', class: 'muted' });
    $('team').after(more);
  }
  const hidden = (S.teamTotal || 0) - listed;
  if (hidden > 0) H.setText(more, 'staff.team_more', { count: hidden }); else H.clearText(more);
  more.hidden = !(hidden > 0);
}
