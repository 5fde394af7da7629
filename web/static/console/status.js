/* status.js — our own name, role, status and capacity. */
import H from '../common.js';
import { S, me, capacity, activeCount, canWatch } from './state.js';
import { $, setPlain, flash } from './util.js';
import { renderQueue } from './queue.js';
import { renderTeam, updateOwnEntry } from './team.js';
import { teamChangedUnderTransfer } from './transfer.js';

// Our own status changed (`status` frame), e.g. set to busy after missed offers.
export function onMember(f) {
  if (f.member && typeof f.member === 'object') {
    const before = S.member;
    S.member = f.member;
    if (before && before.capacity !== S.member.capacity) flash('console.capacity_set', { capacity: S.member.capacity });
    updateOwnEntry(S.member);
  }
  // Being set to busy must not pass unseen like a flash: it stays until dismissed (or until we
  // are available again).
  if (f.reason === 'missed_offers') $('missed-offers').hidden = false;
  if (S.member && S.member.status === 'available') $('missed-offers').hidden = true;
  renderStaff();
  renderQueue();
  renderTeam();
  teamChangedUnderTransfer();
}

export function renderStaff() {
  const staff = me();
  const member = S.member;
  setPlain($('staff-name'), staff.display_name || staff.username || '');
  if (staff.role) H.setText($('staff-role'), 'console.role_' + staff.role); else H.clearText($('staff-role'));
  $('admin-link').hidden = staff.role !== 'admin'; // an admin's work is on /admin
  if (capacity() > 0) H.setText($('staff-capacity'), 'console.capacity', { active: activeCount(), capacity: capacity() });
  else H.clearText($('staff-capacity'));
  // Only people on the team that takes conversations have a status (admins don't).
  $('presence-box').hidden = !member;
  if (member && $('presence').value !== member.status) $('presence').value = member.status;
  // Capacity: 1 up to the most a supervisor allows (the team entry says; else what we have).
  const sel = $('capacity');
  const most = member ? Math.min(50, Math.max(member.max_capacity || 0, member.capacity || 0, 1)) : 0;
  if (sel.options.length !== most) {
    sel.replaceChildren(...Array.from({ length: most }, (_, i) => H.el('option', { value: String(i + 1), text: String(i + 1) })));
  }
  if (member && sel.value !== String(member.capacity)) sel.value = String(member.capacity);
  $('watch-panel').hidden = !canWatch();
}

export function wireStatus() {
  $('presence').addEventListener('change', () => {
    const status = $('presence').value;
    if (!S.client || !S.client.control({ type: 'status', status })) {
      flash('console.not_connected');
      if (S.member) $('presence').value = S.member.status;
    }
  });
  $('capacity').addEventListener('change', () => {
    const n = Number($('capacity').value);
    const status = S.member ? S.member.status : $('presence').value;
    if (!(n >= 1) || !S.client || !S.client.control({ type: 'status', status, capacity: n })) {
      flash('console.not_connected');
      if (S.member) $('capacity').value = String(S.member.capacity);
    }
  });
}
