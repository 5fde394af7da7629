/* admin/versions.js — what the wrap-up form and the phrase list panels share: the table of
 * a thing's versions (which, when, by whom), and the server's refusal said in the page. */
import H from '../common.js';
import { accounts } from './accounts.js';

// byName: created_by 0 is the service itself (its shipped file or the deployment's).
function byName(id) {
  if (!id) return H.t('admin.wrapup.by_deployment');
  const a = accounts().find((x) => x.id === String(id));
  return a ? (a.display_name || a.username) : '#' + id;
}

// renderVersions fills tbody with versions (newest first), marking the current one.
export function renderVersions(tbody, versions, current) {
  tbody.replaceChildren(...versions.map((v) => H.el('tr', { dataset: { version: v.version } }, [
    H.el('td', {}, [H.el('code', { text: v.version }), v.version === current ? H.el('span', { class: 'muted', i18n: ['admin.wrapup.current_mark'] }) : null]),
    H.el('td', { text: H.fmtWhen(v.created_at) }),
    H.el('td', { text: byName(v.created_by) }),
  ])));
}

// showRefusal says why a save was refused: the server's words after a line in the page's
// language (they are precise but in English), or the error code's own text.
export function showRefusal(node, err) {
  const said = err && err.detail && err.detail.message;
  if (said && (err.code === 'invalid' || err.code === 'conflict')) H.setText(node, 'admin.wrapup.refused', { message: said });
  else H.setText(node, H.errorKey(err.code));
  node.hidden = false;
}
