// Single sign-on: a "Sign in with …" button per provider the server lists (GET /auth/providers), and the way
// back. The server's callback sends the browser here with a one-time code in the URL's fragment (#oidc=…, never
// sent to a server, so in no log); it is taken out of the address bar at once and exchanged by POST for the
// tokens. A new account whose suggested username is taken gets a username form; a refusal comes back as
// #oidc_error=<code> and is said in words.
import { SERVER, describe, request } from "./api.js";
import { $, formError, h } from "./dom.js";
import * as session from "./session.js";

const REFUSALS = {
  email_not_verified: "The identity provider has not verified your email address. Verify it there, then try again.",
  email_taken: "An account with your address exists but has not confirmed it. Confirm it from its mail (or "
    + "sign in with its password), then try again.",
  invalid_state: "That sign-in expired or was started in another browser. Please try again.",
  invalid_id_token: "The identity provider's answer could not be trusted, so you were not signed in.",
  oidc_refused: "The identity provider did not sign you in.",
  provider_unavailable: "The identity provider could not be reached. Try again in a moment.",
  forbidden: "This account is being deleted.",
};

let pendingCode = null;
let signedIn = () => {};

/** Show a button per configured provider under the sign-in form (none when the server lists none). */
export function showProviders() {
  request("GET", "/auth/providers").then(({ providers }) => {
    const box = $("#sso-buttons");
    box.replaceChildren(...providers.map((provider) => h("a", {
      class: "sso-button", href: `${SERVER}/auth/oidc/${encodeURIComponent(provider.name)}/start`,
    }, `Sign in with ${provider.label}`)));
    box.hidden = providers.length === 0;
  }).catch(() => {});
}

/** Back from a provider? Finish that sign-in (then `onSignedIn(user)`, or `showAuth(text)` when it failed) and
 * return true; false when this page load is not a return from one. */
export function returnFromSso(onSignedIn, showAuth) {
  signedIn = onSignedIn;
  $("#sso-name-form").addEventListener("submit", chooseName);
  const fragment = new URLSearchParams(window.location.hash.slice(1));
  const code = fragment.get("oidc");
  const refused = fragment.get("oidc_error");
  if (!code && !refused) return false;
  window.history.replaceState(null, "", window.location.pathname + window.location.search);
  if (refused) {
    showAuth(REFUSALS[refused] || `The sign-in was refused (${refused}).`);
    return true;
  }
  exchange(code).catch((error) => {
    if (error.code === "username_taken") {
      showAuth();
      askForName(code, error);
    } else {
      showAuth(describe(error));
    }
  });
  return true;
}

async function exchange(code, username) {
  const body = await request("POST", "/auth/oidc/exchange", { body: username ? { code, username } : { code } });
  pendingCode = null;
  session.setTokens(body.access_token, body.refresh_token);
  $("#sso-name").hidden = true;
  signedIn(body.user);
}

function askForName(code, error) {
  pendingCode = code;
  $("#auth-forms").hidden = true;
  $("#sso-name").hidden = false;
  formError($("#sso-name-form"), describe(error));
  $("#sso-name-form").elements.username.focus();
}

function chooseName(event) {
  event.preventDefault();
  const form = event.target;
  const button = form.querySelector("button[type=submit]");
  button.disabled = true;
  exchange(pendingCode, form.elements.username.value.trim())
    .then(() => { form.reset(); $("#auth-forms").hidden = false; })
    .catch((error) => formError(form, describe(error)))
    .finally(() => { button.disabled = false; });
}
