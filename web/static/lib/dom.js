/* dom.js — small DOM helpers; text is only ever set with textContent. */
import { setText } from './i18n.js';

// ---------------------------------------------------------------- DOM

// el('button', {class: 'x', type: 'button', i18n: ['key', {args}]}, [children])
export function el(tag, props, children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(props || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k === 'class') node.className = v;
    else if (k === 'text') node.textContent = v;
    else if (k === 'i18n') setText(node, v[0], v[1]);
    else if (k === 'dataset') Object.assign(node.dataset, v);
    else node.setAttribute(k, v === true ? '' : String(v));
  }
  for (const c of children || []) if (c) node.append(c);
  return node;
}

// Makes list's children match items (in order) without rebuilding nodes that stay,
// so focus on a button inside an unchanged row is kept.
export function syncList(list, items, keyOf, create, update) {
  const wanted = new Set(items.map(keyOf));
  for (const child of Array.from(list.children)) if (!wanted.has(child.dataset.key)) child.remove();
  const existing = new Map(Array.from(list.children, (c) => [c.dataset.key, c]));
  items.forEach((item, i) => {
    const key = keyOf(item);
    let node = existing.get(key);
    if (!node) { node = create(item); node.dataset.key = key; }
    update(node, item);
    const at = list.children[i];
    if (at !== node) list.insertBefore(node, at || null);
  });
}
