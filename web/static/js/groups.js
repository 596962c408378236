// Groups: the "new group" dialog, the group panel (members; the admin adds, removes and hands over
// the role, and makes the group public or private), leaving and deleting, and the group events the server
// pushes. Finding and joining public groups: browse-groups.js.
import { describe } from "./api.js";
import { initAudit, showAudit } from "./audit.js";
import { initRetention, showRetention } from "./group-retention.js";
import { renderList } from "./chat-list.js";
import { closeConversation, closeCurrent, open } from "./conversation.js";
import { renderConversation } from "./conversation-view.js";
import { $, confirmable, formError, h, notify } from "./dom.js";
import { renderGroupSettings } from "./group-settings.js";
import { systemLine } from "./history.js";
import { memberControls } from "./moderation.js";
import { searchUsers } from "./search.js";
import { call } from "./sockets.js";
import { isAdmin, state } from "./state.js";
import { botBadge } from "./bot-badge.js";
import { initWebhooks, renderWebhooks } from "./webhooks-panel.js";

let panelOpen = false;
let chosen = new Map(); // the new group's members: id → User

/** Wire the dialog and the panel. */
export function initGroups() {
  $("#new-group").addEventListener("click", openDialog);
  $("#group-cancel").addEventListener("click", () => $("#group-dialog").close());
  $("#group-form").addEventListener("submit", createGroup);
  const search = $("#group-member-search");
  searchUsers(search, $("#group-member-results"), { action: "Add", skip: (user) => chosen.has(user.id), pick: choose });
  search.addEventListener("keydown", (event) => { if (event.key === "Enter") event.preventDefault(); });
  $("#group-info").addEventListener("click", () => { panelOpen = !panelOpen; renderPanel(); });
  $("#panel-close").addEventListener("click", () => { panelOpen = false; renderPanel(); });
  searchUsers($("#add-search"), $("#add-results"), { action: "Add", none: "No one to add called", skip: isMember,
    pick: addMember });
  $("#panel-public").addEventListener("change", setPublic);
  $("#leave-group").addEventListener("click", leaveGroup);
  initAudit(); // the admin's audit log in the panel
  initRetention(); // how long the group keeps messages
  confirmable($("#delete-group"), "Delete for everyone?", deleteGroup);
  initWebhooks();
}

// ---------- new group ----------

function openDialog() {
  chosen = new Map();
  const form = $("#group-form");
  form.reset();
  formError(form, "");
  $("#group-member-results").replaceChildren();
  renderChosen();
  $("#group-dialog").showModal();
  form.elements.name.focus();
}

function renderChosen() {
  $("#group-chosen").replaceChildren(...[...chosen.values()].map((user) => h("li", {}, user.username,
    h("button", { type: "button", class: "link", "aria-label": `Remove ${user.username}`,
      onclick: () => { chosen.delete(user.id); renderChosen(); } }, "✕"))));
}

// A user found in the dialog's search becomes a member-to-be.
function choose(user) {
  chosen.set(user.id, user);
  renderChosen();
  $("#group-member-results").replaceChildren();
  $("#group-member-search").value = "";
  $("#group-member-search").focus();
}

async function createGroup(event) {
  event.preventDefault();
  const form = event.target;
  const button = form.querySelector("button[type=submit]");
  button.disabled = true;
  formError(form, "");
  try {
    const description = form.elements.description.value.trim();
    const ack = await call("/group", "create-group-chat", {
      Name: form.elements.name.value.trim(), ...(description ? { Description: description } : {}),
      Participants: [...chosen.keys()], Public: form.elements.public.checked,
    });
    groupCreated({ Group: ack.Group });
    $("#group-dialog").close();
    open("group", ack.Group.GroupId);
  } catch (error) {
    formError(form, describe(error));
  } finally {
    button.disabled = false;
  }
}

// ---------- the panel ----------

/** Draw the open group's panel: members, and the admin's controls. */
export function renderPanel() {
  const c = state.current;
  const group = c && c.kind === "group" && !c.closed ? state.groups.get(c.id) : null;
  const panel = $("#group-panel");
  if (!panelOpen || !group) {
    panel.hidden = true;
    renderWebhooks(null, false);
    return;
  }
  panel.hidden = false;
  const admin = isAdmin(group);
  $("#panel-name").textContent = group.Name;
  $("#panel-description").textContent = group.Description || "";
  $("#panel-visibility").textContent = group.Public ? "Public group: anyone can find and join it."
    : "Private group: only its admin adds members.";
  $("#panel-public-switch").hidden = !admin;
  $("#panel-public").checked = Boolean(group.Public);
  $("#panel-members").replaceChildren(...group.Members.map((member) => {
    const me = member.id === state.me.id;
    const isGroupAdmin = group.Admin && group.Admin.id === member.id;
    return h("li", { dataset: { user: member.username } },
      h("span", { class: "who" }, member.username, botBadge(member), me ? " (you)" : ""),
      isGroupAdmin ? h("span", { class: "role" }, "admin") : null,
      memberControls(group, member),
      admin && !me ? h("button", { type: "button", onclick: () => memberAction("change-admin", group, member) },
        "Make admin") : null,
      admin && !me ? h("button", { type: "button", class: "danger",
        onclick: () => memberAction("kickout", group, member) }, "Remove") : null);
  }));
  $("#panel-add").hidden = !admin;
  $("#delete-group").hidden = !admin;
  renderGroupSettings(group); // slow mode, invite links, reports: the admin and moderators
  renderWebhooks(group, admin);
  showAudit(group, admin);
  showRetention(group, admin);
}

// The open group, when there is one.
function openGroup() {
  const c = state.current;
  return c && c.kind === "group" ? state.groups.get(c.id) : null;
}

// The panel's search leaves out (and with no group open, lists no one as) the group's members.
function isMember(user) {
  const group = openGroup();
  return !group || group.Members.some((m) => m.id === user.id);
}

function addMember(user) {
  const group = openGroup();
  $("#add-results").replaceChildren();
  $("#add-search").value = "";
  if (group) memberAction("add-member", group, user);
}

async function memberAction(event, group, member) {
  try {
    const ack = await call("/group", event, { GroupId: group.GroupId, Member: member.id });
    updateGroup(ack.Group);
  } catch (error) {
    notify(describe(error));
  }
}

// The admin's public/private switch: `update-group`; on a refusal the switch goes back.
async function setPublic(event) {
  const group = openGroup();
  const wanted = event.target.checked;
  if (!group) return;
  event.target.disabled = true;
  try {
    const ack = await call("/group", "update-group", { GroupId: group.GroupId, Public: wanted });
    updateGroup(ack.Group);
  } catch (error) {
    event.target.checked = !wanted;
    notify(describe(error));
  } finally {
    event.target.disabled = false;
  }
}

async function leaveGroup() {
  const c = state.current;
  if (!c || c.kind !== "group") return;
  const group = state.groups.get(c.id);
  try {
    await call("/group", "leave-grp", { GroupId: c.id });
    forget(c.id);
    notify(`You left “${group ? group.Name : "the group"}”.`, "info");
  } catch (error) {
    notify(describe(error));
  }
}

async function deleteGroup() {
  const c = state.current;
  if (!c || c.kind !== "group") return;
  try {
    await call("/group", "delete-grp", { GroupId: c.id });
  } catch (error) {
    notify(describe(error));
  }
}

// ---------- what the server pushes ----------

function updateGroup(group) {
  const entry = state.groups.get(group.GroupId);
  if (entry) Object.assign(entry, group);
  renderList();
  renderConversation();
}

// Take the group off the list; close it if it is open (we left: nothing to show).
function forget(groupId) {
  state.groups.delete(groupId);
  panelOpen = false;
  if (state.current && state.current.key === `group:${groupId}`) closeConversation();
  renderList();
}

// Keep it on screen but closed, with the reason (removed by the admin, deleted).
function shutOut(groupId, reason, news) {
  const entry = state.groups.get(groupId);
  state.groups.delete(groupId);
  if (state.current && state.current.key === `group:${groupId}`) closeCurrent(reason);
  renderList();
  renderPanel();
  notify(news.replace("{name}", entry ? entry.Name : "a group"), "info");
}

// "You" / "you" for ourselves, else the username.
const username = (user, start = true) => (user && user.id === state.me.id ? (start ? "You" : "you")
  : (user && user.username) || (start ? "Someone" : "someone"));

/** `group-created` {Group}: a group we made or were added to. */
export function groupCreated({ Group: group }) {
  const known = state.groups.get(group.GroupId);
  if (known) Object.assign(known, group);
  else state.groups.set(group.GroupId, { ...group, LastMessage: null, Unread: 0, UpdatedAt: group.CreatedAt });
  renderList();
}

export const handlers = {
  "group-created": groupCreated,
  "group-updated": ({ Group: group }) => updateGroup(group),
  "member-added": ({ GroupId, Member, By }) => {
    const entry = state.groups.get(GroupId);
    if (entry && !entry.Members.some((m) => m.id === Member.id)) entry.Members.push(Member);
    systemLine("group", GroupId, By && By.id === Member.id ? `${username(Member)} joined`
      : `${username(By)} added ${Member.username}`);
    renderConversation();
  },
  "member-removed": ({ GroupId, Member, By }) => {
    const entry = state.groups.get(GroupId);
    if (entry) entry.Members = entry.Members.filter((m) => m.id !== Member.id);
    systemLine("group", GroupId, `${username(By)} removed ${Member.username}`);
    renderConversation();
  },
  "kicked-out": ({ GroupId }) => shutOut(GroupId, "You were removed from this group by its admin.",
    "You were removed from “{name}”."),
  "admin-changed": ({ GroupId, Admin, By }) => {
    const entry = state.groups.get(GroupId);
    if (entry) entry.Admin = Admin;
    systemLine("group", GroupId, `${Admin.id === state.me.id ? "You are" : `${Admin.username} is`} now the admin`
      + (By && By.id !== Admin.id ? ` (by ${username(By, false)})` : ""));
    renderConversation();
  },
  "member-left": ({ GroupId, Member }) => {
    if (Member.id === state.me.id) {
      forget(GroupId); // we left from another tab
      return;
    }
    const entry = state.groups.get(GroupId);
    if (entry) entry.Members = entry.Members.filter((m) => m.id !== Member.id);
    systemLine("group", GroupId, `${Member.username} left`);
    renderConversation();
  },
  "group-deleted": ({ GroupId, By }) => shutOut(GroupId, `This group was deleted by ${username(By, false)}.`,
    `“{name}” was deleted by ${username(By, false)}.`),
};
