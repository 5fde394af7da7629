/* i18n.js — configuration and translations (/api/config, /i18n/{lang}.json), and the DOM
 * helpers that set translated text: text is only ever set with textContent. */
import { store } from './store.js';
import { getJSON } from './api.js';

// Sets translated text and remembers key + arguments on the node, so a language switch can
// re-translate everything on the page, including what was rendered later.
export function setText(node, key, args) {
  const json = args ? JSON.stringify(args) : '';
  const text = t(key, args);
  // Unchanged text is not rewritten: live regions would announce it again.
  if (node.dataset.i18n === key && (node.dataset.i18nArgs || '') === json && node.textContent === text) return;
  node.dataset.i18n = key;
  if (json) node.dataset.i18nArgs = json; else delete node.dataset.i18nArgs;
  node.textContent = text;
}

export function clearText(node) {
  delete node.dataset.i18n;
  delete node.dataset.i18nArgs;
  node.textContent = '';
}

// ---------------------------------------------------------------- i18n

const i18n = { lang: '', table: {}, config: null, listeners: [] };

export function t(key, args) {
  let s = Object.prototype.hasOwnProperty.call(i18n.table, key) ? i18n.table[key] : key;
  if (args) {
    s = s.replace(/\{(\w+)\}/g, (m, name) => (Object.prototype.hasOwnProperty.call(args, name) ? String(args[name]) : m));
  }
  return s;
}

function argsOf(node) {
  try { return node.dataset.i18nArgs ? JSON.parse(node.dataset.i18nArgs) : undefined; } catch (e) { return undefined; }
}

function translatePage() {
  for (const node of document.querySelectorAll('[data-i18n]')) node.textContent = t(node.dataset.i18n, argsOf(node));
  for (const node of document.querySelectorAll('[data-i18n-placeholder]')) node.setAttribute('placeholder', t(node.dataset.i18nPlaceholder));
  for (const node of document.querySelectorAll('[data-i18n-aria-label]')) node.setAttribute('aria-label', t(node.dataset.i18nAriaLabel));
}

// The server decides which languages exist; this only tidies what it sent.
function normaliseConfig(c) {
  c = c && typeof c === 'object' ? c : {};
  const languages = (Array.isArray(c.languages) ? c.languages : [])
    .filter((l) => l && typeof l.code === 'string' && l.code)
    .map((l) => ({ code: l.code, name: typeof l.name === 'string' && l.name ? l.name : l.code }));
  const def = typeof c.default_language === 'string' && c.default_language
    ? c.default_language
    : (languages[0] ? languages[0].code : document.documentElement.lang);
  if (!languages.length) languages.push({ code: def, name: def });
  return {
    languages,
    default_language: def,
    retention_days: Number.isFinite(c.retention_days) ? c.retention_days : null,
    audiences: Array.isArray(c.audiences)
      ? c.audiences.filter((a) => typeof a === 'string' && /^[a-z0-9_]+$/.test(a))
      : ['self', 'young', 'other'],
    max_message_chars: c.max_message_chars > 0 ? c.max_message_chars : 4000,
    exit_url: typeof c.exit_url === 'string' ? c.exit_url : '',
    alternatives: Array.isArray(c.alternatives) ? c.alternatives.filter(isAlternative) : [],
  };
}

// An alternative as the server lists it: names by language, an https link and/or a phone.
function isAlternative(a) {
  return !!a && typeof a === 'object' && a.name && typeof a.name === 'object' &&
    (typeof a.url !== 'string' || a.url === '' || a.url.startsWith('https://')) &&
    (typeof a.tel !== 'string' || a.tel === '' || /^tel:\+?[0-9]+$/.test(a.tel));
}

// Saved choice, then the browser's preferences (exact tag, then primary subtag), then the default.
function pickLanguage(config) {
  const codes = config.languages.map((l) => l.code);
  const lower = codes.map((c) => c.toLowerCase());
  const saved = store.get('local', 'lang');
  if (saved && codes.includes(saved)) return saved;
  for (const tag of navigator.languages || [navigator.language || '']) {
    const want = String(tag).toLowerCase();
    let i = lower.indexOf(want);
    if (i < 0) i = lower.findIndex((c) => c.split('-')[0] === want.split('-')[0]);
    if (i >= 0) return codes[i];
  }
  return codes.includes(config.default_language) ? config.default_language : codes[0];
}

async function loadLanguage(code, remember) {
  let table;
  try {
    table = await getJSON('/i18n/' + encodeURIComponent(code) + '.json');
  } catch (e) {
    if (code !== i18n.config.default_language) return loadLanguage(i18n.config.default_language, false);
    table = {};
  }
  i18n.lang = code;
  i18n.table = table && typeof table === 'object' ? table : {};
  if (remember) store.set('local', 'lang', code);
  document.documentElement.lang = code;
  document.documentElement.dir = i18n.table['common.dir'] === 'rtl' ? 'rtl' : 'ltr';
  const sw = document.getElementById('lang-switch');
  if (sw) sw.value = code;
  translatePage();
  i18n.listeners.forEach((fn) => fn(code));
  return code;
}

function buildSwitcher() {
  const sw = document.getElementById('lang-switch');
  if (!sw) return;
  sw.replaceChildren(...i18n.config.languages.map((l) => languageOption(l)));
  sw.value = i18n.lang;
  sw.addEventListener('change', () => loadLanguage(sw.value, true));
}

// Loads configuration and the best language; resolves to the (normalised) configuration.
export async function init() {
  let raw = null;
  try { raw = await getJSON('/api/config'); } catch (e) { /* fall back to the page's own language */ }
  i18n.config = normaliseConfig(raw);
  await loadLanguage(pickLanguage(i18n.config), false);
  buildSwitcher();
  return i18n.config;
}

const timeFormats = new Map();
export function fmtTime(iso) {
  const d = new Date(iso);
  if (!iso || isNaN(d)) return '';
  if (!timeFormats.has(i18n.lang)) {
    try { timeFormats.set(i18n.lang, new Intl.DateTimeFormat(i18n.lang || undefined, { hour: '2-digit', minute: '2-digit' })); } catch (e) { timeFormats.set(i18n.lang, new Intl.DateTimeFormat()); }
  }
  return timeFormats.get(i18n.lang).format(d);
}

// A moment in the coming days, e.g. "Monday 1 December, 09:00", in the page's language.
export function fmtWhen(iso) {
  const d = new Date(iso);
  if (!iso || isNaN(d)) return '';
  const opts = { weekday: 'long', day: 'numeric', month: 'long', hour: '2-digit', minute: '2-digit' };
  try { return new Intl.DateTimeFormat(i18n.lang || undefined, opts).format(d); } catch (e) { return d.toLocaleString(); }
}

function languageOption(l) {
  const o = document.createElement('option');
  o.value = l.code;
  o.lang = l.code;
  o.textContent = l.name;
  return o;
}

export function lang() { return i18n.lang; }
export function config() { return i18n.config; }
export function onLanguage(fn) { i18n.listeners.push(fn); }
export function languageName(code) {
  const l = i18n.config && i18n.config.languages.find((x) => x.code === code);
  return l ? l.name : code;
}
