// The chat screen's coordinator: connects the chat list, the open conversation, the composer, the people
// search and the group panel to each other, and takes the lists and presence the server pushes.
// The messages, reads and typing it pushes go straight to the conversation (re-exported below for app.js).
import { describe } from "./api.js";
import { addPersonal, entryOf, onChoose, renderList } from "./chat-list.js";
import {
  cancelEdit, deliver, initComposer, loadDraft, removeMessage, startEdit, startReply, stopTyping,
} from "./composer.js";
import { PARTNER_GONE, closeCurrent, initConversation, open } from "./conversation.js";
import { afterRender, renderHeader } from "./conversation-view.js";
import { notify } from "./dom.js";
import { renderPanel } from "./groups.js";
import { renderPins } from "./moderation.js";
import { PAGE } from "./history.js";
import { plugComposer } from "./message-list.js";
import { initPeople, onPeopleChanged, renderPeopleMenu } from "./people.js";
import { initPeopleSearch } from "./search.js";
import { openChat } from "./session-store.js";
import { call } from "./sockets.js";
import { presenceOf, state } from "./state.js";

export { renderList } from "./chat-list.js";
export { reopen } from "./conversation.js";
export { renderConversation } from "./conversation-view.js";
export { changed, markRead, reacted, readAck, received, typingOff, typingOn } from "./receive.js";

/** Wire the pieces: a chosen list entry or found user opens a chat, the message buttons reach the composer,
 * the group panel follows the open chat. */
export function initChat() {
  onChoose(open);
  plugComposer({ retry: deliver, edit: startEdit, remove: removeMessage, reply: startReply, cancelEdit, stopTyping,
    opened: loadDraft });
  afterRender(() => { renderPanel(); renderPeopleMenu(); renderPins(); });
  onPeopleChanged(() => { renderHeader(); renderPeopleMenu(); });
  initPeople();
  initPeopleSearch(openPartner);
  initConversation();
  initComposer();
}

/** Start (or continue) a personal chat with a user found by search. */
async function openPartner(user) {
  const known = [...state.personal.values()].find((entry) => entry.Partner.id === user.id);
  if (known) return open("personal", known.ChatId);
  try {
    const reply = await call("/personal", "fetch-personal-chat", { Partner: user.id, Limit: PAGE });
    if (!state.personal.has(reply.ChatId)) {
      const online = await call("/", "get-online-info", { UserIds: [user.id] }).then((a) => a.Online[user.id])
        .catch(() => false);
      state.presence.set(user.id, { ...presenceOf(user.id), Online: Boolean(online) });
      const messages = reply.Messages;
      state.personal.set(reply.ChatId, {
        ChatId: reply.ChatId, Partner: { ...reply.Partner, Online: Boolean(online) },
        LastMessage: messages.length ? messages[messages.length - 1] : null, Unread: 0,
        UpdatedAt: new Date().toISOString(),
      });
    }
    return open("personal", reply.ChatId, reply);
  } catch (error) {
    notify(describe(error));
  }
}

/** The lists the server sends on connect replace what we had. */
export function setPersonalList(list) {
  state.personal.clear();
  for (const entry of list || []) addPersonal(entry);
  const c = state.current;
  const entry = c && c.kind === "personal" ? state.personal.get(c.id) : null;
  if (entry && entry.Closed && !c.closed) closeCurrent(PARTNER_GONE); // deleted while we were away
  renderList();
  renderHeader();
}

/** After a reload (the lists are in): open the chat this tab had open, if it is still there. */
export function restoreOpen() {
  const saved = state.current ? null : openChat();
  if (!saved || !state.me) return;
  if (saved.kind === "self" ? saved.id === state.me.id : entryOf(saved.kind, saved.id)) open(saved.kind, saved.id);
}

export function setGroupList(list) {
  state.groups.clear();
  for (const entry of list || []) state.groups.set(entry.GroupId, entry);
  renderList();
  renderHeader();
  renderPanel();
}

/** `presence` {UserId, Online, Away?, LastSeen}. */
export function presenceChanged(data) {
  const before = presenceOf(data.UserId);
  state.presence.set(data.UserId, { Online: Boolean(data.Online), Away: Boolean(data.Online && data.Away),
    LastSeen: data.LastSeen || before.LastSeen });
  for (const entry of state.personal.values()) {
    if (entry.Partner.id === data.UserId) entry.Partner.Online = Boolean(data.Online);
  }
  renderList();
  renderHeader();
}
