// The group panel's audit log, for the group's admin: who changed what, and to whom, newest first
// (GET /groups/<id>/audit). Shown on demand, so opening the panel costs no request.
import { describe } from "./api.js";
import { $, h } from "./dom.js";
import * as session from "./session.js";

const ACTIONS = { admin_changed: "made admin", member_kicked: "removed", member_added: "added",
  group_updated: "changed the group" };
let groupShown = null;

/** Wire the button that loads the log. */
export function initAudit() {
  $("#audit-load").addEventListener("click", () => loadAudit(groupShown));
}

/** The panel shows group: the section only for its admin, emptied when the group changed. */
export function showAudit(group, admin) {
  $("#panel-audit").hidden = !admin;
  if (!group || group.GroupId !== groupShown) $("#audit-entries").replaceChildren();
  groupShown = group ? group.GroupId : null;
}

function changes(detail) {
  return Object.entries(detail || {}).map(([field, [before, after]]) => `${field}: ${before} → ${after}`).join(", ");
}

async function loadAudit(groupId) {
  const list = $("#audit-entries");
  if (!groupId) return;
  try {
    const { entries } = await session.authed("GET", `/groups/${encodeURIComponent(groupId)}/audit?per_page=50`);
    list.replaceChildren(...(entries.length ? entries.map((entry) => h("li", { dataset: { action: entry.Action } },
      h("b", {}, entry.Actor ? entry.Actor.username : "someone"), ` ${ACTIONS[entry.Action] || entry.Action}`,
      entry.Target ? ` ${entry.Target.username}` : "", entry.Detail && Object.keys(entry.Detail).length
        ? ` (${changes(entry.Detail)})` : "",
      h("span", { class: "hint" }, ` · ${new Date(entry.At).toLocaleString()}`)))
      : [h("li", { class: "hint" }, "Nothing yet.")]));
  } catch (error) {
    list.replaceChildren(h("li", { class: "form-error" }, describe(error)));
  }
}
