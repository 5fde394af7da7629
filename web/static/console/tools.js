/* tools.js — the counsellor's tools beside the open conversation: prepared answers
 * (answers.js), private case notes (casenotes.js) and the wrap-up (wrapup.js). The console
 * calls renderTools whenever it draws the open conversation, and mayShip before sending. */
import { renderAnswers, wireAnswers, mayShip } from './answers.js';
import { renderCaseNotes, wireCaseNotes } from './casenotes.js';
import { renderWrapup, wireWrapup } from './wrapup.js';

export { mayShip };

export function renderTools() {
  renderAnswers();
  renderCaseNotes();
  renderWrapup();
}

export function wireTools() {
  wireAnswers();
  wireCaseNotes();
  wireWrapup();
}
