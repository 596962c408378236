// The group panel's moderation section, for the group's admin and moderators: slow mode, invite links (make,
// copy, revoke) and the reports of the group's messages (dismiss, delete the message, remove its author).
import { describe } from "./api.js";
import { $, h, notify } from "./dom.js";
import { moderates } from "./message-moderation.js";
import * as session from "./session.js";
import { call } from "./sockets.js";
import { state } from "./state.js";

let shownFor = null; // the group whose invites and reports are listed

const openGroup = () => (state.current && state.current.kind === "group" ? state.groups.get(state.current.id) : null);

/** Wire the section's controls. */
export function initGroupSettings() {
  $("#slow-mode").addEventListener("change", setSlowMode);
  $("#invite-new").addEventListener("click", newInvite);
  $("#reports-refresh").addEventListener("click", () => { const g = openGroup(); if (g) loadReports(g); });
}

/** Show the section for a group we run (and load its lists when it is another group). */
export function renderGroupSettings(group) {
  const section = $("#panel-moderation");
  section.hidden = !moderates(group);
  if (section.hidden) { shownFor = null; return; }
  $("#slow-mode").value = String(group.SlowModeSeconds || 0);
  if (shownFor !== group.GroupId) {
    shownFor = group.GroupId;
    loadInvites(group);
    loadReports(group);
  }
}

async function setSlowMode(event) {
  const group = openGroup();
  if (!group) return;
  try {
    await call("/group", "update-group", { GroupId: group.GroupId, SlowModeSeconds: Number(event.target.value) });
  } catch (error) {
    notify(describe(error));
  }
}

async function loadInvites(group) {
  try {
    const { Invites: invites } = await session.authed("GET", `/groups/${group.GroupId}/invites`);
    $("#invite-list").replaceChildren(...invites.map((invite) => inviteItem(group, invite)));
  } catch (error) {
    notify(describe(error));
  }
}

function inviteItem(group, invite) {
  const uses = invite.MaxUses ? `${invite.Uses}/${invite.MaxUses} uses` : `${invite.Uses} uses`;
  return h("li", { class: "invite", dataset: { code: invite.Code } },
    h("input", { class: "invite-url", value: invite.Url, readonly: true, "aria-label": "Invite link" }),
    h("span", { class: "hint" }, uses),
    h("button", { type: "button", onclick: () => copy(invite.Url) }, "Copy link"),
    h("button", { type: "button", class: "danger", onclick: () => revoke(group, invite) }, "Revoke"));
}

async function copy(url) {
  try {
    await navigator.clipboard.writeText(url);
    notify("Invite link copied.", "info");
  } catch (_) {
    notify(`Copy this link: ${url}`, "info");
  }
}

async function newInvite() {
  const group = openGroup();
  if (!group) return;
  try {
    await session.authed("POST", `/groups/${group.GroupId}/invites`, {});
    loadInvites(group);
  } catch (error) {
    notify(describe(error));
  }
}

async function revoke(group, invite) {
  try {
    await session.authed("DELETE", `/groups/${group.GroupId}/invites/${encodeURIComponent(invite.Code)}`);
    loadInvites(group);
  } catch (error) {
    notify(describe(error));
  }
}

async function loadReports(group) {
  try {
    const { Reports: reports } = await session.authed("GET", `/groups/${group.GroupId}/reports`);
    $("#report-list").replaceChildren(...(reports.length ? reports.map((r) => reportItem(group, r))
      : [h("li", { class: "hint" }, "No open reports.")]));
  } catch (error) {
    notify(describe(error));
  }
}

function reportItem(group, report) {
  const reasons = Object.entries(report.Reasons).map(([reason, n]) => `${reason} ×${n}`).join(", ");
  const act = (action) => resolve(group, report, action);
  return h("li", { class: "report-item", dataset: { id: report.ReportId } },
    h("div", {}, h("b", {}, report.Message.Sender.username), " ", report.Message.Content),
    h("div", { class: "hint" }, `${report.Count} report${report.Count === 1 ? "" : "s"}: ${reasons}`),
    h("button", { type: "button", onclick: () => act("dismiss") }, "Dismiss"),
    h("button", { type: "button", class: "danger", onclick: () => act("delete") }, "Delete message"),
    h("button", { type: "button", class: "danger", onclick: () => act("kick") }, "Remove author"));
}

async function resolve(group, report, action) {
  try {
    await session.authed("POST", `/reports/${report.ReportId}/resolve`, { Action: action });
  } catch (error) {
    notify(describe(error));
  }
  loadReports(group);
}
