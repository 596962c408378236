// The group panel's retention: how long the group keeps messages (its RetentionDays). Every member reads it; the
// admin may choose fewer days (`update-group`; the server refuses more than its own RETENTION_DAYS, and says so).
import { describe } from "./api.js";
import { $, h, notify } from "./dom.js";
import { call } from "./sockets.js";

const CHOICES = [[0, "As long as the server keeps them"], [1, "1 day"], [7, "7 days"], [30, "30 days"],
  [90, "90 days"], [365, "1 year"]];
let shown = { groupId: null, days: 0 };

/** Wire the admin's choice. */
export function initRetention() {
  $("#panel-retention").addEventListener("change", setRetention);
}

const label = (days) => (CHOICES.find(([d]) => d === days) || [days, `${days} days`])[1];

/** Draw the group's retention: a line for everyone, the choice for its admin. */
export function showRetention(group, admin) {
  const days = group.RetentionDays || 0;
  shown = { groupId: group.GroupId, days };
  $("#panel-retention-text").textContent = days ? `Messages older than ${label(days)} are removed.` : "";
  $("#panel-retention-switch").hidden = !admin;
  const choices = CHOICES.some(([d]) => d === days) ? CHOICES : [...CHOICES, [days, label(days)]];
  const select = $("#panel-retention");
  select.replaceChildren(...choices.map(([d, text]) => h("option", { value: String(d) }, text)));
  select.value = String(days);
}

// `update-group` {RetentionDays}; the members' panels follow its `group-updated`. A refusal puts the choice back.
async function setRetention(event) {
  const select = event.target;
  select.disabled = true;
  try {
    await call("/group", "update-group", { GroupId: shown.groupId, RetentionDays: Number(select.value) });
  } catch (error) {
    select.value = String(shown.days);
    notify(describe(error));
  } finally {
    select.disabled = false;
  }
}
