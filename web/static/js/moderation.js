// Moderation in groups, in the open chat: moderator badges and actions in the member list, the pinned-messages
// panel, `message-pinned` pushes, and accepting an invite link (`/?invite=<code>`). Group settings (slow mode,
// invite links, reports): group-settings.js.
import { describe } from "./api.js";
import { open } from "./conversation.js";
import { $, h, notify } from "./dom.js";
import { renderMessages } from "./message-list.js";
import { moderates } from "./message-moderation.js";
import * as session from "./session.js";
import { call } from "./sockets.js";
import { chatKey, state } from "./state.js";

const INVITE_KEY = "chat.invite";
let pinsOpen = false;

/** Wire the pins panel; remember an invite code from the address (accepted once signed in). */
export function initModeration() {
  $("#show-pins").addEventListener("click", () => { pinsOpen = !pinsOpen; renderPins(); });
  $("#pins-close").addEventListener("click", () => { pinsOpen = false; renderPins(); });
  const params = new URLSearchParams(window.location.search);
  const code = params.get("invite");
  if (code) {
    sessionStorage.setItem(INVITE_KEY, code);
    params.delete("invite");
    const rest = params.toString();
    window.history.replaceState(null, "", window.location.pathname + (rest ? `?${rest}` : ""));
  }
}

/** Signed in and connected: join the group of a remembered invite link, and open it. */
export async function acceptInvite() {
  const code = sessionStorage.getItem(INVITE_KEY);
  if (!code) return;
  sessionStorage.removeItem(INVITE_KEY);
  try {
    const { Group: group } = await session.authed("POST", `/invites/${encodeURIComponent(code)}/accept`);
    if (!state.groups.has(group.GroupId)) {
      state.groups.set(group.GroupId, { ...group, LastMessage: null, Unread: 0, UpdatedAt: group.CreatedAt });
    }
    notify(`You joined “${group.Name}”.`, "info");
    open("group", group.GroupId);
  } catch (error) {
    notify(error.code === "not_found" ? "This invite link is not valid any more (revoked, expired or used up)."
      : describe(error));
  }
}

/** The member list's extras for one member: the moderator badge, and what we may do to them. */
export function memberControls(group, member) {
  const me = state.me.id;
  const admin = group.Admin && group.Admin.id === me;
  const isMod = (group.Moderators || []).includes(member.id);
  const plain = !isMod && !(group.Admin && group.Admin.id === member.id);
  return [
    isMod ? h("span", { class: "role moderator" }, "moderator") : null,
    admin && member.id !== me ? h("button", { type: "button", class: "set-moderator",
      onclick: () => setModerator(group, member, !isMod) }, isMod ? "Not moderator" : "Make moderator") : null,
    !admin && moderates(group) && plain && member.id !== me ? h("button", { type: "button", class: "danger",
      onclick: () => kick(group, member) }, "Remove") : null,
  ];
}

async function setModerator(group, member, on) {
  try {
    await call("/group", "set-moderator", { GroupId: group.GroupId, UserId: member.id, On: on });
  } catch (error) {
    notify(describe(error)); // the change itself arrives as `group-updated`
  }
}

async function kick(group, member) {
  try {
    await call("/group", "kickout", { GroupId: group.GroupId, Member: member.id });
  } catch (error) {
    notify(describe(error));
  }
}

/** The pins button (personal chats and groups) and, when open, the panel of the open chat's pins. */
export async function renderPins() {
  const c = state.current;
  const pinnable = Boolean(c && (c.kind === "personal" || c.kind === "group") && !c.closed);
  $("#show-pins").hidden = !pinnable;
  const panel = $("#pins-panel");
  if (!pinnable || !pinsOpen) {
    panel.hidden = true;
    return;
  }
  panel.hidden = false;
  try {
    const { Messages: pinned } = await session.authed("GET", `/chats/${encodeURIComponent(c.id)}/pins`);
    if (state.current !== c) return;
    $("#pins-list").replaceChildren(...(pinned.length ? pinned.map((m) => h("li", { dataset: { id: m.MessageId } },
      h("b", {}, m.Sender.username), " ", m.Content)) : [h("li", { class: "hint" }, "Nothing pinned yet.")]));
  } catch (error) {
    notify(describe(error));
  }
}

/** `message-pinned` {ChatId|GroupId, MessageId, Pinned, By}: the message's mark, and the panel. */
export function pinned(kind, id, data) {
  const c = state.current;
  if (!c || c.key !== chatKey(kind, id)) return;
  const message = c.messages.find((m) => m.MessageId === data.MessageId);
  if (message) message.Pinned = data.Pinned;
  renderMessages();
  renderPins();
}
