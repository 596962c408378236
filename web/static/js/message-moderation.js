// A message's moderation buttons: Pin / Unpin (either member of a personal chat; a group's admin or moderators),
// Report (others' messages) and, for a group's admin and moderators, Delete on others' messages; and the
// "pinned" mark. Leaf module: the deletion itself is the composer's (passed in), the report its dialog's.
import { describe } from "./api.js";
import { confirmable, h, notify } from "./dom.js";
import { openReport } from "./report-dialog.js";
import { call } from "./sockets.js";
import { state } from "./state.js";

/** Whether we run the group (its admin or one of its moderators). */
export function moderates(group) {
  const me = state.me && state.me.id;
  return Boolean(group && me && ((group.Admin && group.Admin.id === me) || (group.Moderators || []).includes(me)));
}

function mayPin(c) {
  if (c.kind === "personal") return true;
  return c.kind === "group" && moderates(state.groups.get(c.id));
}

async function pin(c, m, on) {
  const key = c.kind === "group" ? "GroupId" : "ChatId";
  try {
    await call(c.kind === "group" ? "/group" : "/personal", "pin-message", { [key]: c.id, MessageId: m.MessageId,
      On: on });
  } catch (error) {
    notify(describe(error));
  }
}

/** The extra buttons of a stored message in chat c; `remove(c, m)` deletes it for everyone. */
export function messageActions(c, m, remove) {
  if (c.kind === "self") return [];
  const mine = m.Sender && m.Sender.id === state.me.id;
  const group = c.kind === "group" ? state.groups.get(c.id) : null;
  return [
    mayPin(c) ? h("button", { type: "button", class: "pin", onclick: () => pin(c, m, !m.Pinned) },
      m.Pinned ? "Unpin" : "Pin") : null,
    mine ? null : h("button", { type: "button", class: "report", onclick: () => openReport(m) }, "Report"),
    !mine && moderates(group) ? confirmable(h("button", { type: "button", class: "mod-delete" }, "Delete"),
      "Delete for everyone?", () => remove(c, m)) : null,
  ];
}

/** The mark of a pinned message, and who deleted someone else's. */
export function moderationMarks(m) {
  return [
    m.Pinned ? h("span", { class: "pinned-mark", title: "Pinned" }, "📌 pinned") : null,
    m.Deleted && m.DeletedBy ? h("span", { class: "deleted-by hint" }, `deleted by ${m.DeletedBy.username}`) : null,
  ];
}
