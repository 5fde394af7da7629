/* confirm.js — the small "are you sure?" groups of both pages, made keyboard-safe: the harmless
 * answer ("No") comes first and has focus, Tab stays inside while it is open, and Escape closes it
 * (and is not counted toward the seeker page's double-Escape quick exit). */

const FOCUSABLE = 'button:not([disabled]), [href], input:not([disabled]), select:not([disabled]), textarea:not([disabled])';

// wireConfirm(dialog, opener, no, onYes?) — opener shows it; "no" (and Escape) hides it and gives
// focus back to opener. Returns { open, close } for callers that open or close it themselves.
export function wireConfirm(dialog, opener, no) {
  const open = () => { dialog.hidden = false; no.focus(); };
  const close = (refocus = true) => { dialog.hidden = true; if (refocus && !opener.disabled) opener.focus(); };
  opener.addEventListener('click', open);
  no.addEventListener('click', () => close());
  dialog.addEventListener('keydown', (e) => {
    if (e.key === 'Escape') {
      e.preventDefault();
      e.stopPropagation();
      close();
      return;
    }
    if (e.key !== 'Tab') return;
    const items = Array.from(dialog.querySelectorAll(FOCUSABLE)).filter((n) => !n.closest('[hidden]'));
    if (items.length === 0) return;
    const first = items[0];
    const last = items[items.length - 1];
    if (e.shiftKey && document.activeElement === first) { e.preventDefault(); last.focus(); }
    else if (!e.shiftKey && document.activeElement === last) { e.preventDefault(); first.focus(); }
  });
  return { open, close };
}
