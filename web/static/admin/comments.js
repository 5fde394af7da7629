/* admin/comments.js — what seekers added to their anonymous feedback, by ISO week. Each
 * read is audited by the server; the comments are never part of the report itself. */
import H from '../common.js';

const $ = (id) => document.getElementById(id);
let ctx = null;

export function mount(c) {
  if (ctx) return;
  ctx = c;
  $('comments-filter').addEventListener('submit', (e) => { e.preventDefault(); load(); });
}

async function load() {
  const q = new URLSearchParams({ from: $('comments-from').value, to: $('comments-to').value });
  try {
    const res = await ctx.api('GET', '/api/admin/feedback/comments?' + q.toString());
    const list = Array.isArray(res.comments) ? res.comments : [];
    $('comments').replaceChildren(...list.map((c) => H.el('li', {}, [
      H.el('span', { class: 'muted', text: c.week + ' · ' + H.languageName(c.language) + ' — ' }), H.el('span', { text: c.text }),
    ])));
    $('comments-empty').hidden = list.length > 0;
  } catch (err) {
    if (err.code === 'unauthorized') ctx.signedOut(); else ctx.flash(H.errorKey(err.code));
  }
}
