/* chart.js — queue length and the longest wait over the last hours, drawn here as inline SVG
 * from the server's per-minute samples (GET /api/supervisor/history), then a point a minute
 * from the live summary. No third-party script. */
import H from '../common.js';
import { $, P, call, serverNow } from './util.js';

const NS = 'http://www.w3.org/2000/svg';
const W = 600;
const ROW = 90; // height of each of the two plots
const KEEP = 360; // points (six hours a minute apart), as the server keeps
let samples = [];
let appendTimer = 0;

function svg(tag, attrs) {
  const n = document.createElementNS(NS, tag);
  for (const [k, v] of Object.entries(attrs || {})) n.setAttribute(k, String(v));
  return n;
}

// One plot: a line of values over time, its scale's top written at the left.
function plot(top, values, times, label, cls) {
  const g = svg('g', { transform: 'translate(0,' + top + ')', class: cls });
  const maxV = Math.max(1, ...values);
  const t0 = times[0] || 0;
  const span = Math.max(1, (times[times.length - 1] || 0) - t0);
  const pts = values.map((v, i) => {
    const x = 40 + ((times[i] - t0) / span) * (W - 50);
    const y = ROW - 15 - (v / maxV) * (ROW - 30);
    return x.toFixed(1) + ',' + y.toFixed(1);
  });
  g.append(svg('line', { x1: 40, y1: ROW - 15, x2: W - 10, y2: ROW - 15, class: 'axis' }));
  const top_ = svg('text', { x: 0, y: 15, class: 'scale' });
  top_.textContent = String(maxV);
  const name = svg('text', { x: 44, y: 12, class: 'label' });
  name.textContent = label;
  g.append(top_, name, svg('polyline', { points: pts.join(' '), class: 'line' }));
  return g;
}

export function drawChart() {
  const box = $('chart');
  const times = samples.map((s) => Date.parse(s.at));
  const waiting = samples.map((s) => s.waiting);
  const waits = samples.map((s) => Math.round(s.longest_wait_seconds / 60));
  const chart = svg('svg', { viewBox: '0 0 ' + W + ' ' + (2 * ROW), role: 'img', 'aria-labelledby': 'chart-title', class: 'chart-svg' });
  const title = svg('title', { id: 'chart-title' });
  title.textContent = H.t('supervisor.chart_title');
  chart.append(title, plot(0, waiting, times, H.t('supervisor.chart_waiting'), 'plot-waiting'),
    plot(ROW, waits, times, H.t('supervisor.chart_wait_minutes'), 'plot-wait'));
  box.replaceChildren(chart);
  // The same in words, for screen readers and anyone who prefers it.
  const hours = samples.length ? Math.max(1, Math.round((serverNow() - times[0]) / 3600000)) : 0;
  H.setText($('chart-desc'), samples.length ? 'supervisor.chart_desc' : 'supervisor.chart_empty',
    { hours, most: Math.max(0, ...waiting), longest: Math.max(0, ...waits) });
}

export async function loadChart() {
  try {
    const h = await call('GET', '/api/supervisor/history');
    samples = Array.isArray(h.samples) ? h.samples.slice(-KEEP) : [];
  } catch (err) {
    samples = [];
  }
  drawChart();
  clearInterval(appendTimer);
  appendTimer = setInterval(appendFromSummary, 60000);
}

// A point a minute from the latest summary, so the chart moves without fetching the history again.
function appendFromSummary() {
  const sum = P.summary;
  if (!sum) return;
  const now = serverNow();
  let oldest = now;
  for (const q of sum.queue || []) { const t = Date.parse(q.oldest_since); if (!isNaN(t)) oldest = Math.min(oldest, t); }
  samples.push({ at: new Date(now).toISOString(), waiting: sum.waiting_total || 0, longest_wait_seconds: Math.floor((now - oldest) / 1000) });
  if (samples.length > KEEP) samples.shift();
  drawChart();
}

export function stopChart() { clearInterval(appendTimer); }
