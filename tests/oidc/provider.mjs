// A real OpenID Provider for the tests: the certified `oidc-provider` package, with its development sign-in pages
// (any login, any password; the login becomes the subject) and one confidential test client.
//
//   node provider.mjs PORT CLIENT_ID CLIENT_SECRET REDIRECT_URI [REDIRECT_URI...]
//
// Accounts: TEST_ACCOUNTS (JSON {login: {email, email_verified, preferred_username}}) names some; any other login
// gets <login>@example.test, verified. Prints "ready <issuer>" once it listens on 127.0.0.1:PORT.
import Provider from "oidc-provider";

const [port, clientId, clientSecret, ...redirectUris] = process.argv.slice(2);
const issuer = `http://127.0.0.1:${port}`;
const accounts = JSON.parse(process.env.TEST_ACCOUNTS || "{}");

function claimsOf(id) {
  const known = accounts[id] || {};
  return {
    sub: id,
    email: known.email || `${id}@example.test`,
    email_verified: known.email_verified !== undefined ? known.email_verified : true,
    preferred_username: known.preferred_username || id,
    name: known.name || id,
  };
}

const provider = new Provider(issuer, {
  clients: [{
    client_id: clientId, client_secret: clientSecret, redirect_uris: redirectUris,
    grant_types: ["authorization_code"], response_types: ["code"], token_endpoint_auth_method: "client_secret_basic",
  }],
  claims: { openid: ["sub"], email: ["email", "email_verified"], profile: ["name", "preferred_username"] },
  // The ID token carries the claims (the chat server reads no userinfo endpoint).
  conformIdTokenClaims: false,
  pkce: { required: () => true },
  cookies: { keys: ["test-only-cookie-key-0123456789abcdef"] },
  features: { devInteractions: { enabled: true } },
  findAccount: async (ctx, id) => ({ accountId: id, claims: async () => claimsOf(id) }),
});
provider.proxy = false;
provider.listen(Number(port), "127.0.0.1", () => { console.log(`ready ${issuer}`); });
