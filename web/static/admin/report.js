/* admin/report.js — the transparency report for a month or any range of days, drawn by
 * admin/charts.js, and its CSV. */
import H from '../common.js';
import { renderReport } from './charts.js';
import { latestOnly } from '../lib/latest.js';

const $ = (id) => document.getElementById(id);
let ctx = null;
let last = null;

export function mount(c) {
  if (ctx) return;
  ctx = c;
  const now = new Date();
  const prev = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() - 1, 1));
  $('report-month').value = prev.toISOString().slice(0, 7);
  $('report-filter').addEventListener('submit', (e) => { e.preventDefault(); load(); });
  $('report-month').addEventListener('change', () => { $('report-from').value = ''; $('report-to').value = ''; });
  $('report-csv').addEventListener('click', (e) => { e.preventDefault(); downloadCSV(); });
  H.onLanguage(() => { if (last) renderReport($('report'), last); });
}

export function show() { if (!last) load(); }

function query() {
  const from = $('report-from').value;
  const to = $('report-to').value;
  if (from && to) return 'from=' + encodeURIComponent(from) + '&to=' + encodeURIComponent(to);
  return 'month=' + encodeURIComponent($('report-month').value);
}

// An answer that comes after a newer load was asked for (the panel opening, then the
// filter at once) is dropped.
const loads = latestOnly();

async function load() {
  const isLatest = loads.begin();
  try {
    const got = await ctx.api('GET', '/api/admin/report?' + query());
    if (!isLatest()) return; // a newer load was asked for meanwhile: its answer wins
    last = got;
    renderReport($('report'), last);
  } catch (err) {
    if (err.code === 'unauthorized') ctx.signedOut(); else ctx.flash(H.errorKey(err.code));
  }
}

async function downloadCSV() {
  try {
    const res = await fetch('/api/admin/report.csv?' + query(), { headers: { Authorization: 'Bearer ' + ctx.token() }, cache: 'no-store' });
    if (!res.ok) throw Object.assign(new Error('csv'), { code: res.status === 401 ? 'unauthorized' : 'internal' });
    const url = URL.createObjectURL(await res.blob());
    const a = H.el('a', { href: url, download: 'helpline-report.csv' });
    document.body.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 10000);
  } catch (err) {
    if (err.code === 'unauthorized') ctx.signedOut(); else ctx.flash(H.errorKey(err.code || 'internal'));
  }
}
