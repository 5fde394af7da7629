/* admin/charts.js — draws a published transparency report: for each table a bar chart the
 * page makes itself (SVG, no third-party code) and the same figures as a plain table. A
 * figure not shown is never drawn as a bar: its place says "*" or "+", as the footnotes
 * explain. Used by the admin report panel and the public report page. */
import H from '../common.js';

const SVG = 'http://www.w3.org/2000/svg';

function svg(tag, attrs, children) {
  const node = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs || {})) node.setAttribute(k, String(v));
  for (const c of children || []) node.append(c);
  return node;
}

// label translates a dimension value; what has no translation is shown as it is.
function label(section, table, dim, value) {
  /* feature: esc */
  if (section === 'escalations') {
    const own = 'report.escalations_' + table + '_' + value;
    if (H.t(own) !== own) return H.t(own);
  }
  /* /feature: esc */
  let key = null;
  if (dim === 'audience') key = value === 'not_given' ? 'audience.none' : 'audience.' + value;
  else if (dim === 'outcome' && section === 'feedback') key = 'feedback.' + table + '_' + value;
  else if (dim === 'outcome') key = 'report.outcome_' + value;
  else if (dim === 'reason') key = 'report.reason_' + value;
  else if (value === 'not_given' || value === 'other') key = 'report.value_' + value;
  else if (dim === 'language') return H.languageName(value) || value;
  if (!key) return value;
  const t = H.t(key);
  return t === key ? value : t;
}

function shown(f) { return f && f.count !== null && f.count !== undefined; }
function figureText(f) { return shown(f) ? String(f.count) : (f && f.note) || '*'; }

function chart(section, key, table) {
  const dim = table.dimensions[0];
  const cells = (table.cells || []).filter((c) => Object.keys(c).length);
  const most = Math.max(1, ...cells.map((c) => (shown(c) ? c.count : 0)));
  const rowH = 26;
  const width = 480;
  const labelW = 200;
  const bars = svg('svg', { viewBox: `0 0 ${width} ${rowH * cells.length + 4}`, role: 'img', class: 'report-chart',
    'aria-label': H.t('report.chart_label', { name: H.t('report.table_' + section + '_' + key) }) });
  cells.forEach((c, i) => {
    const y = i * rowH + 2;
    const text = svg('text', { x: 0, y: y + 17, class: 'report-label' });
    text.textContent = label(section, key, dim, c[dim]);
    bars.append(text);
    if (shown(c) && c.count > 0) {
      bars.append(svg('rect', { x: labelW, y: y + 4, height: rowH - 8, width: Math.max(2, Math.round((width - labelW - 50) * c.count / most)), class: 'report-bar' }));
    }
    const value = svg('text', { x: shown(c) && c.count > 0 ? labelW + Math.round((width - labelW - 50) * c.count / most) + 6 : labelW + 4, y: y + 17, class: 'report-value' });
    value.textContent = figureText(c);
    bars.append(value);
  });
  return bars;
}

function figuresTable(section, key, table) {
  const dims = table.dimensions;
  const head = H.el('tr', {}, [...dims.map((d) => H.el('th', { text: H.t('report.dim_' + d) })), H.el('th', { text: H.t('report.count') })]);
  const rows = (table.cells || []).map((c) => H.el('tr', {}, [
    ...dims.map((d) => H.el('td', { text: label(section, key, d, c[d]) })), H.el('td', { text: figureText(c) }),
  ]));
  const total = H.el('tr', { class: 'report-total' }, [
    H.el('td', { text: H.t('report.total'), colspan: dims.length }), H.el('td', { text: figureText(table.total) })]);
  return H.el('table', { class: 'admin-table report-table', 'data-table': section + '.' + key }, [
    H.el('thead', {}, [head]), H.el('tbody', {}, [...rows, total])]);
}

function extras(sec) {
  const items = [];
  for (const p of sec.percentages || []) {
    items.push(H.el('dt', { text: H.t('report.pct_' + sec.key + '_' + p.key) }));
    items.push(H.el('dd', { 'data-figure': sec.key + '.' + p.key, text: p.value.suppressed ? '*' : p.value.percent + ' %' }));
  }
  for (const w of sec.waits || []) {
    const v = w.value;
    items.push(H.el('dt', { text: H.t('report.wait_' + sec.key + '_' + w.key) }));
    items.push(H.el('dd', { 'data-figure': sec.key + '.' + w.key, text: v.suppressed ? H.t('report.too_few')
      : H.t('report.median_p90', { median: minutes(v.median_seconds), p90: minutes(v.p90_seconds) }) }));
  }
  return items.length ? H.el('dl', { class: 'report-figures' }, items) : null;
}

function minutes(s) {
  return s < 60 ? H.t('report.seconds', { n: s }) : H.t('report.minutes', { n: Math.round(s / 6) / 10 });
}

// renderReport draws the report data (the JSON of /api/admin/report or /api/report) into node.
export function renderReport(node, data) {
  const out = [];
  const period = data.period || {};
  out.push(H.el('p', { class: 'report-period', i18n: ['report.period', { from: period.from, to: period.to }] }));
  for (const sec of data.sections || []) {
    const parts = [H.el('h3', { text: H.t('report.section_' + sec.key) })];
    for (const t of sec.tables || []) {
      parts.push(H.el('h4', { text: H.t('report.table_' + sec.key + '_' + t.key) }));
      if ((t.table.dimensions || []).length === 1) parts.push(chart(sec.key, t.key, t.table));
      parts.push(figuresTable(sec.key, t.key, t.table));
    }
    parts.push(extras(sec));
    out.push(H.el('section', { class: 'report-section', 'data-section': sec.key }, parts));
  }
  const p = data.policy || {};
  out.push(H.el('p', { class: 'hint report-notes', i18n: ['report.footnote', { below: p.suppress_below, round: p.round_to, min: p.min_denominator }] }));
  node.replaceChildren(...out);
}
