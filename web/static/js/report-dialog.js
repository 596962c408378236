// "Report" on someone else's message: a dialog with a reason and an optional note, sent to
// POST /messages/<id>/report. Who reported is never shown to anyone.
import { describe } from "./api.js";
import { $, formError, notify } from "./dom.js";
import * as session from "./session.js";

let reporting = null; // the message being reported

/** Wire the dialog. */
export function initReportDialog() {
  $("#report-cancel").addEventListener("click", () => $("#report-dialog").close());
  $("#report-form").addEventListener("submit", send);
}

/** Ask for a reason, then report message m. */
export function openReport(m) {
  reporting = m;
  const form = $("#report-form");
  form.reset();
  formError(form, "");
  $("#report-excerpt").textContent = `${m.Sender.username}: ${(m.Content || "").slice(0, 120)}`;
  $("#report-dialog").showModal();
}

async function send(event) {
  event.preventDefault();
  const form = event.target;
  const note = form.elements.note.value.trim();
  try {
    await session.authed("POST", `/messages/${encodeURIComponent(reporting.MessageId)}/report`,
      { Reason: form.elements.reason.value, ...(note ? { Note: note } : {}) });
    $("#report-dialog").close();
    notify("Thank you: the moderators will look at it.", "info");
  } catch (error) {
    if (error.code === "conflict") {
      $("#report-dialog").close();
      notify("You reported this message already.", "info");
    } else formError(form, describe(error));
  }
}
