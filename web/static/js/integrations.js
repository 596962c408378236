// The Integrations page (reached from the account page): personal access tokens for scripts (scopes, an optional
// expiry, the token shown once with a copy button, the list with when each was last used, revoking) and bot
// users (create, list, delete; a new bot's token shown once). Every refusal is shown in words by its form.
import { describe } from "./api.js";
import { busy } from "./busy.js";
import { $, formError, h } from "./dom.js";
import * as session from "./session.js";

const when = (iso) => (iso ? new Date(iso).toLocaleString([], { dateStyle: "medium", timeStyle: "short" }) : null);

/** Wire the page (once, at start). */
export function initIntegrations() {
  $("#open-integrations").addEventListener("click", showIntegrations);
  $("#integrations-back").addEventListener("click", backToAccount);
  $("#token-form").addEventListener("submit", createToken);
  $("#bot-form").addEventListener("submit", createBot);
  for (const button of document.querySelectorAll(".copy-secret")) button.addEventListener("click", copySecret);
}

function showIntegrations() {
  for (const form of ["#token-form", "#bot-form"]) {
    $(form).reset();
    formError($(form), "");
  }
  hideSecret("#token-secret");
  hideSecret("#bot-secret");
  $("#account-view").hidden = true;
  $("#integrations-view").hidden = false;
  $("#integrations-title").focus();
  loadTokens();
  loadBots();
}

function backToAccount() {
  $("#integrations-view").hidden = true;
  $("#account-view").hidden = false;
}

// A new token's value, shown once in its box with a copy button.
function showSecret(box, value) {
  $(box).hidden = false;
  $(`${box} code`).textContent = value;
  $(`${box} .copied`).hidden = true;
}

function hideSecret(box) {
  $(box).hidden = true;
  $(`${box} code`).textContent = "";
}

async function copySecret(event) {
  const box = event.target.closest(".secret");
  const code = box.querySelector("code");
  try {
    await navigator.clipboard.writeText(code.textContent);
    box.querySelector(".copied").hidden = false;
  } catch (_) { // no clipboard (an insecure origin, a refused permission): select it for Ctrl+C instead
    window.getSelection().selectAllChildren(code);
  }
}


// ---------- tokens ----------

function createToken(event) {
  event.preventDefault();
  const form = event.target;
  const Scopes = [...form.querySelectorAll("input[name=scope]:checked")].map((box) => box.value);
  if (!Scopes.length) {
    formError(form, "Choose at least one scope.");
    return null;
  }
  const days = Number(form.elements.expires.value);
  const body = { Name: form.elements.Name.value.trim(), Scopes, ...(days ? { ExpiresIn: days * 86400 } : {}) };
  return busy(form, async () => {
    const created = await session.authed("POST", "/me/tokens", body);
    form.reset();
    showSecret("#token-secret", created.Token);
    await loadTokens();
  });
}

async function loadTokens() {
  try {
    const { Tokens } = await session.authed("GET", "/me/tokens");
    $("#token-list").replaceChildren(...Tokens.map(tokenItem));
    $("#no-tokens").hidden = Tokens.length > 0;
  } catch (error) {
    formError($("#token-form"), describe(error));
  }
}

function tokenItem(token) {
  const revoke = h("button", { type: "button", class: "danger" }, "Revoke");
  revoke.addEventListener("click", () => revokeToken(token, revoke));
  const expired = token.ExpiresAt && new Date(token.ExpiresAt) <= new Date();
  const expiry = token.ExpiresAt ? `${expired ? "expired" : "expires"} ${when(token.ExpiresAt)}` : "never expires";
  return h("li", { dataset: { token: token.TokenId } },
    h("div", {},
      h("b", {}, token.Name), " ", h("span", { class: "hint" }, token.Scopes.join(", ")),
      h("div", { class: "hint" }, `Created ${when(token.CreatedAt)} · ${expiry} · `
        + (token.LastUsedAt ? `last used ${when(token.LastUsedAt)}` : "never used"))),
    revoke);
}

async function revokeToken(token, button) {
  button.disabled = true;
  try {
    await session.authed("DELETE", `/me/tokens/${encodeURIComponent(token.TokenId)}`);
  } catch (error) {
    if (error.code !== "not_found") formError($("#token-form"), describe(error));
  }
  await loadTokens();
}

// ---------- bots ----------

function createBot(event) {
  event.preventDefault();
  const form = event.target;
  return busy(form, async () => {
    const created = await session.authed("POST", "/bots", { Username: form.elements.Username.value.trim() });
    form.reset();
    showSecret("#bot-secret", created.Token);
    await loadBots();
  });
}

async function loadBots() {
  try {
    const { Bots } = await session.authed("GET", "/bots");
    $("#bot-list").replaceChildren(...Bots.map(botItem));
    $("#no-bots").hidden = Bots.length > 0;
  } catch (error) {
    formError($("#bot-form"), describe(error));
  }
}

function botItem(bot) {
  const remove = h("button", { type: "button", class: "danger" }, "Delete");
  remove.addEventListener("click", () => deleteBot(bot, remove));
  return h("li", { dataset: { bot: bot.username } },
    h("div", {}, h("b", {}, bot.username), " ", h("span", { class: "bot-badge" }, "BOT")), remove);
}

async function deleteBot(bot, button) {
  if (!window.confirm(`Delete the bot ${bot.username}? It leaves its groups, and its token stops working.`)) return;
  button.disabled = true;
  try {
    await session.authed("DELETE", `/bots/${encodeURIComponent(bot.id)}`);
  } catch (error) {
    if (error.code !== "not_found") formError($("#bot-form"), describe(error));
  }
  await loadBots();
}
