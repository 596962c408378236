// The group panel's webhooks section (admins only): create an incoming webhook (its URL shown to copy) or an
// outgoing one (a receiver URL; its signing secret shown once), list them, delete them. REST:
// /groups/<id>/webhooks (docs/integrations.md).
import { describe } from "./api.js";
import { $, h } from "./dom.js";
import { authed } from "./session.js";

let shownFor = null; // the group whose webhooks are listed

/** Wire the section's form. */
export function initWebhooks() {
  $("#webhook-form").addEventListener("submit", createWebhook);
}

/** Show the section for group when the caller is its admin (listing its webhooks once per opening). */
export function renderWebhooks(group, admin) {
  const section = $("#panel-webhooks");
  section.hidden = !group || !admin;
  if (section.hidden) {
    shownFor = null;
    return;
  }
  if (shownFor === group.GroupId) return;
  shownFor = group.GroupId;
  $("#webhook-created").replaceChildren();
  $("#webhook-error").textContent = "";
  load(group.GroupId);
}

async function load(groupId) {
  try {
    const { Webhooks } = await authed("GET", `/groups/${encodeURIComponent(groupId)}/webhooks`);
    if (shownFor !== groupId) return;
    $("#webhook-list").replaceChildren(...Webhooks.map((hook) => h("li", { dataset: { id: hook.WebhookId } },
      h("span", { class: "who" }, `${hook.Name} (${hook.Kind}${hook.Disabled ? ", disabled" : ""})`,
        hook.Url ? h("small", { class: "hint" }, ` → ${hook.Url}`) : null),
      h("button", { type: "button", class: "danger", onclick: () => remove(groupId, hook) }, "Delete"))));
  } catch (error) {
    $("#webhook-error").textContent = describe(error);
  }
}

async function createWebhook(event) {
  event.preventDefault();
  const groupId = shownFor;
  const name = $("#webhook-name").value.trim();
  const url = $("#webhook-url").value.trim();
  $("#webhook-error").textContent = "";
  try {
    const made = await authed("POST", `/groups/${encodeURIComponent(groupId)}/webhooks`,
      url ? { Name: name, Url: url } : { Name: name });
    $("#webhook-form").reset();
    showOnce(made);
    load(groupId);
  } catch (error) {
    $("#webhook-error").textContent = describe(error);
  }
}

// What is shown once: the incoming URL (a copy button) or the outgoing secret.
function showOnce(made) {
  const value = made.Url || made.Secret;
  const field = h("input", { type: "text", readonly: true, value, id: "webhook-secret-value",
    "aria-label": made.Url ? "Webhook URL" : "Signing secret" });
  const copy = h("button", { type: "button", onclick: async () => {
    field.select();
    try { await navigator.clipboard.writeText(value); copy.textContent = "Copied"; } catch (_) { /* selected */ }
  } }, "Copy");
  $("#webhook-created").replaceChildren(
    h("p", { class: "hint" }, made.Url ? "POST {\"Content\": \"…\"} to this URL to post as the webhook's bot. "
      + "Keep it secret: it is not shown again." : "Receivers check X-Chat-Signature with this secret. "
      + "It is not shown again."),
    h("div", { class: "copy-row" }, field, copy));
}

async function remove(groupId, hook) {
  try {
    await authed("DELETE", `/groups/${encodeURIComponent(groupId)}/webhooks/${encodeURIComponent(hook.WebhookId)}`);
    load(groupId);
  } catch (error) {
    $("#webhook-error").textContent = describe(error);
  }
}
