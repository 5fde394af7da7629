/* seeker/feedback.js — the optional, anonymous questions on the closing screen
 * (PROTOCOL.md "Seeker feedback"). The form is a plain HTML form that also works
 * posted without JavaScript (POST /seeker/feedback); here it is sent as JSON and the
 * page stays. It is offered once per conversation. */
import H from '../common.js';

const $ = (id) => document.getElementById(id);

let current = null; // {token, conversation_id} of the conversation the form is for

// show offers the questions for the conversation that just ended, once.
export function showFeedback(cred, retentionDays) {
  const form = $('feedback');
  if (!form || !cred) return;
  if (current && current.conversation_id === cred.conversation_id) return;
  current = { token: cred.token, conversation_id: cred.conversation_id };
  form.reset();
  $('feedback-token').value = cred.token;
  $('feedback-lang').value = H.lang;
  H.setText($('feedback-comment-hint'), 'feedback.comment_hint', { days: retentionDays || 30 });
  H.clearText($('feedback-status'));
  $('feedback-send').disabled = false;
  for (const n of form.querySelectorAll('fieldset, label[for="feedback-comment"], textarea, .actions')) n.hidden = false;
  form.hidden = H.store.get('session', 'feedback-' + cred.conversation_id) === true;
}

export function hideFeedback() {
  const form = $('feedback');
  if (form) form.hidden = true;
  current = null;
}

export function setupFeedback() {
  const form = $('feedback');
  if (!form) return;
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    if (!current) return;
    const data = new FormData(form);
    const body = {
      token: current.token,
      helpful: Number(data.get('helpful') || 0),
      feeling: Number(data.get('feeling') || 0),
      comment: String(data.get('comment') || '').trim(),
    };
    $('feedback-send').disabled = true;
    H.setText($('feedback-status'), 'feedback.sending');
    try {
      await H.api('POST', '/api/seeker/feedback', body);
      H.store.set('session', 'feedback-' + current.conversation_id, true);
      for (const n of form.querySelectorAll('fieldset, label[for="feedback-comment"], textarea, .actions')) n.hidden = true;
      H.setText($('feedback-status'), 'feedback.sent');
    } catch (err) {
      $('feedback-send').disabled = false;
      H.setText($('feedback-status'), 'feedback.failed');
    }
  });
}
