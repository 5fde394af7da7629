/* common.js — what seeker.js and console.js share, gathered from the modules in lib/
 * (see chat/PROTOCOL.md for the wire protocol):
 *   store        – localStorage/sessionStorage under the "helpline." prefix (lib/store.js)
 *   el, syncList – small DOM helpers (lib/dom.js)
 *   init, t, setText, clearText, lang, config, fmtTime, fmtWhen – configuration and
 *                  translations; text is only ever set with textContent (lib/i18n.js)
 *   api, retrying, errorKey – JSON over HTTP (lib/api.js)
 *   ChatClient   – the reconnecting WebSocket client with per-conversation state
 *                  (lib/chat-client.js on lib/socket.js)
 *   MessageLog   – renders one conversation's messages into a list (lib/message-log.js)
 *   TypingNotifier, TypingIndicator – throttled "typing" out, self-clearing "typing" in (lib/typing.js)
 */
import { store } from './lib/store.js';
import { el, syncList } from './lib/dom.js';
import * as i18n from './lib/i18n.js';
import { api, retrying, errorKey } from './lib/api.js';
import { ChatClient } from './lib/chat-client.js';
import { MessageLog } from './lib/message-log.js';
import { TypingNotifier, TypingIndicator } from './lib/typing.js';

const H = {
  store, el, syncList,
  init: i18n.init, t: i18n.t, setText: i18n.setText, clearText: i18n.clearText,
  fmtTime: i18n.fmtTime, fmtWhen: i18n.fmtWhen, onLanguage: i18n.onLanguage, languageName: i18n.languageName,
  get lang() { return i18n.lang(); },
  get config() { return i18n.config(); },
  api, retrying, errorKey,
  ChatClient, MessageLog, TypingNotifier, TypingIndicator,
};

export default H;
