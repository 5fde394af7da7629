/* directory.js — the referral directory for administrators: browse every service (retired
 * ones too) with when each was last verified, add, edit, retire, import an HSDS JSON file or
 * the fictional sample. Every change is audited by the server. */
import H from '../common.js';
import { latestOnly } from '../lib/latest.js';

const $ = (id) => document.getElementById(id);
let tokenOf = () => '';
let services = [];

const list = (s) => s.split(',').map((x) => x.trim()).filter(Boolean);

export function mountDirectory(token) {
  tokenOf = token;
  $('directory-add').addEventListener('click', () => edit(null));
  $('directory-sample').addEventListener('click', () => importWith('/api/admin/directory/import-sample'));
  $('directory-file').addEventListener('change', importFile);
  $('directory-rows').addEventListener('click', onRow);
  $('directory-form').addEventListener('submit', save);
  $('df-cancel').addEventListener('click', () => { $('directory-form').hidden = true; $('partner-form').hidden = true; });
  $('partner-form').addEventListener('submit', savePartner);
  $('pf-generate').addEventListener('click', () => { $('pf-secret').value = newSecret(); });
  load();
}

async function load() {
  let res;
  try { res = await H.api('GET', '/api/admin/directory', undefined, tokenOf()); } catch (err) { status(H.errorKey(err.code)); return; }
  services = Array.isArray(res.services) ? res.services : [];
  $('directory-rows').replaceChildren(...services.map(row));
}

function nameOf(s) { return (s.name && (s.name[H.lang] || s.name[s.fallback])) || s.id; }

function row(s) {
  const retired = !!s.deleted_at;
  return H.el('tr', { dataset: { serviceId: s.id }, class: retired ? 'retired' : '' }, [
    H.el('td', { text: nameOf(s) }),
    H.el('td', { text: (s.regions || []).join(', ') }),
    H.el('td', retired ? { i18n: ['directory.retired'] } : { text: s.status }),
    H.el('td', s.verified_on ? { text: s.verified_on } : { i18n: ['directory.never_verified'] }),
    H.el('td', {}, [
      H.el('button', { type: 'button', class: 'secondary edit', i18n: ['directory.edit'] }),
      retired ? null : H.el('button', { type: 'button', class: 'secondary retire', i18n: ['directory.retire'] }),
    ]),
  ]);
}

function status(key, args) { H.setText($('directory-status'), key, args); }

function problems(err) {
  const p = $('directory-problems');
  p.textContent = err && err.detail && err.detail.message ? err.detail.message : '';
  p.hidden = !p.textContent;
}

async function onRow(e) {
  const b = e.target.closest('button');
  const tr = b && b.closest('tr');
  if (!tr) return;
  const s = services.find((x) => x.id === tr.dataset.serviceId);
  if (b.classList.contains('edit')) edit(s);
  if (b.classList.contains('retire')) {
    try {
      await H.api('POST', '/api/admin/directory/services/' + encodeURIComponent(s.id) + '/retire', undefined, tokenOf());
      status('directory.retired_one', { name: nameOf(s) });
    } catch (err) { status(H.errorKey(err.code)); }
    load();
  }
}

function edit(s) {
  const v = s || { fallback: 'es', status: 'active', name: {}, description: {} };
  $('df-id').value = v.id || '';
  $('df-id').readOnly = !!s;
  $('df-org').value = v.organization_id || '';
  $('df-fallback').value = v.fallback || 'es';
  $('df-name-es').value = (v.name || {}).es || '';
  $('df-name-en').value = (v.name || {}).en || '';
  $('df-desc-es').value = (v.description || {}).es || '';
  $('df-desc-en').value = (v.description || {}).en || '';
  $('df-regions').value = (v.regions || []).join(', ');
  $('df-audiences').value = (v.audiences || []).join(', ');
  $('df-kinds').value = (v.kinds || []).join(', ');
  $('df-languages').value = (v.languages || []).join(', ');
  $('df-channels').value = (v.channels || []).map((c) => c.kind + ' ' + c.address).join('\n');
  $('df-hours').value = v.hours || '';
  $('df-tz').value = v.time_zone || '';
  $('df-status').value = v.status || 'active';
  $('df-verified').value = v.verified_on || '';
  $('df-warm').checked = !!v.accepts_warm_referral;
  $('directory-form').dataset.base = JSON.stringify(v);
  $('directory-form').hidden = false;
  $('directory-form-heading').focus();
  loadPartner(s && s.accepts_warm_referral ? s.id : '');
}

// The partner that receives the warm referrals of a service has the service's id.
// One service after another opened for editing: only the latest one's partner fills the form.
let partnerFor = '';
const partnerLoads = latestOnly();
async function loadPartner(id) {
  const isLatest = partnerLoads.begin();
  partnerFor = id;
  $('partner-form').hidden = !id;
  $('partner-error').hidden = true;
  if (!id) return;
  ['pf-name', 'pf-url', 'pf-secret'].forEach((f) => { $(f).value = ''; });
  $('pf-enabled').checked = true;
  $('pf-private').checked = false;
  H.setText($('partner-state'), 'directory.partner_none');
  try {
    const p = await H.api('GET', '/api/admin/partners/' + encodeURIComponent(id), undefined, tokenOf());
    if (!isLatest()) return;
    $('pf-name').value = p.name;
    $('pf-url').value = p.url;
    $('pf-enabled').checked = p.enabled;
    $('pf-private').checked = p.allow_private;
    H.setText($('partner-state'), p.enabled ? 'directory.partner_on' : 'directory.partner_off', { reason: p.disabled_reason || '', secrets: p.secrets });
  } catch (err) { /* none yet */ }
}

async function savePartner(e) {
  e.preventDefault();
  const body = { name: $('pf-name').value.trim(), url: $('pf-url').value.trim(), enabled: $('pf-enabled').checked, allow_private: $('pf-private').checked };
  const secret = $('pf-secret').value.trim();
  if (secret) body.secrets = [secret];
  try {
    await H.api('PUT', '/api/admin/partners/' + encodeURIComponent(partnerFor), body, tokenOf());
    $('partner-error').hidden = true;
    $('pf-secret').value = ''; // shown once; never fetched back
    loadPartner(partnerFor);
    status('directory.partner_saved');
  } catch (err) {
    $('partner-error').textContent = (err.detail && err.detail.message) || H.t(H.errorKey(err.code));
    $('partner-error').hidden = false;
  }
}

// A fresh signing secret: "whsec_" and 32 random bytes in base64. Give it to the partner
// before saving; it is not shown again.
function newSecret() {
  const b = new Uint8Array(32);
  crypto.getRandomValues(b);
  return 'whsec_' + btoa(String.fromCharCode(...b));
}

function texts(es, en) {
  const t = {};
  if (es.trim()) t.es = es.trim();
  if (en.trim()) t.en = en.trim();
  return t;
}

async function save(e) {
  e.preventDefault();
  const base = JSON.parse($('directory-form').dataset.base || '{}');
  const s = {
    ...base,
    id: $('df-id').value.trim(), organization_id: $('df-org').value.trim(), fallback: $('df-fallback').value.trim(),
    name: texts($('df-name-es').value, $('df-name-en').value), description: texts($('df-desc-es').value, $('df-desc-en').value),
    regions: list($('df-regions').value), audiences: list($('df-audiences').value), kinds: list($('df-kinds').value),
    languages: list($('df-languages').value),
    channels: $('df-channels').value.split('\n').map((l) => l.trim()).filter(Boolean).map((l) => {
      const i = l.indexOf(' ');
      return { kind: i < 0 ? l : l.slice(0, i), address: i < 0 ? '' : l.slice(i + 1).trim() };
    }),
    hours: $('df-hours').value.trim(), time_zone: $('df-tz').value.trim(), status: $('df-status').value,
    verified_on: $('df-verified').value, accepts_warm_referral: $('df-warm').checked,
  };
  delete s.deleted_at;
  delete s.updated_at;
  try {
    await H.api('PUT', '/api/admin/directory/services/' + encodeURIComponent(s.id), s, tokenOf());
    problems(null);
    $('directory-form').hidden = true;
    status('directory.saved', { name: nameOf(s) });
    load();
  } catch (err) { problems(err); status(H.errorKey(err.code)); }
}

async function importWith(path, body, name) {
  try {
    const res = await (body === undefined ? H.api('POST', path, undefined, tokenOf()) : rawPost(path, body));
    problems(null);
    status('directory.imported', { services: res.services, organizations: res.organizations, name: name || '' });
  } catch (err) { problems(err); status('directory.import_failed'); }
  load();
}

async function importFile() {
  const f = $('directory-file').files[0];
  if (!f) return;
  await importWith('/api/admin/directory/import?name=' + encodeURIComponent(f.name), await f.text(), f.name);
  $('directory-file').value = '';
}

// The file is sent as it is: the server reads it as HSDS JSON and names each problem's line.
async function rawPost(path, text) {
  const res = await fetch(path, { method: 'POST', headers: { 'Content-Type': 'application/json', Authorization: 'Bearer ' + tokenOf() }, body: text, cache: 'no-store' });
  const data = await res.json().catch(() => null);
  if (!res.ok) {
    const e = new Error('import');
    e.code = (data && data.error && data.error.code) || 'internal';
    e.detail = (data && data.error) || {};
    throw e;
  }
  return data;
}
