/* report.js — the public transparency report (HELPLINE_PUBLIC_REPORT=true): completed months
 * only, the same suppressed figures admins see, drawn by admin/charts.js. */
import H from './common.js';
import { renderReport } from './admin/charts.js';

const $ = (id) => document.getElementById(id);
let last = null;

async function load() {
  const month = $('report-month').value;
  $('report-csv').href = '/api/report.csv?month=' + encodeURIComponent(month);
  try {
    last = await H.api('GET', '/api/report?month=' + encodeURIComponent(month));
    H.clearText($('report-status'));
    renderReport($('report'), last);
  } catch (err) {
    H.setText($('report-status'), err.code === 'not_found' ? 'report.not_yet' : H.errorKey(err.code));
    $('report').replaceChildren();
  }
}

H.init().then(() => {
  const now = new Date();
  $('report-month').value = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() - 1, 1)).toISOString().slice(0, 7);
  $('report-filter').addEventListener('submit', (e) => { e.preventDefault(); load(); });
  H.onLanguage(() => { if (last) renderReport($('report'), last); });
  load();
});
