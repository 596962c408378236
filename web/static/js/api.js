// The REST side: where the server is, one request helper, and errors in words.

const meta = document.querySelector('meta[name="chat-server"]');
// Empty meta: the server that served this page. Hosted elsewhere: the URL in the meta tag.
export const SERVER = ((meta && meta.content.trim()) || window.location.origin).replace(/\/+$/, "");

// What the server's field names mean to a person.
const FIELD_NAMES = {
  username: "Username", email: "Email", password: "Password", login: "Login", q: "Search",
  Content: "Message", Name: "Name", Description: "Description", Participants: "Members", Member: "Member",
  current_password: "Current password", new_password: "New password", token: "Link",
};

/** A failure with the server's code, its human message and (for validation) the fields at fault. */
export class ApiError extends Error {
  constructor(code, message, fields = null, status = 0) {
    super(message);
    this.code = code;
    this.fields = fields;
    this.status = status;
  }
}

/** An ApiError from an error envelope {"error": {"code", "message", "fields"?}} (REST or ack). */
export function fromEnvelope(body, status = 0) {
  const error = body && body.error;
  if (error && typeof error === "object") {
    const apiError = new ApiError(error.code || "error", error.message || "The server refused the request.",
      error.fields || null, status);
    if (typeof body.mfa_token === "string") apiError.mfaToken = body.mfa_token; // otp_required: for /login/2fa
    return apiError;
  }
  return new ApiError("http_error", `The server answered with status ${status}.`, null, status);
}

/** An error as a sentence or two a person can act on. */
export function describe(error) {
  if (!error) return "Something went wrong.";
  let text = error.message || String(error);
  if (error.fields && typeof error.fields === "object") {
    const parts = Object.entries(error.fields)
      .filter(([field]) => !field.startsWith("_"))
      .map(([field, why]) => `${FIELD_NAMES[field] || field}: ${[].concat(why).join(" ")}`);
    const general = Object.entries(error.fields).filter(([field]) => field.startsWith("_"))
      .map(([, why]) => [].concat(why).join(" "));
    if (parts.length || general.length) text += " " + general.concat(parts).join("; ");
  }
  return text;
}

/** Call the REST API: resolves with the JSON body, rejects with an ApiError in words. */
export async function request(method, path, { body, token } = {}) {
  const headers = { Accept: "application/json" };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  if (token) headers.Authorization = `Bearer ${token}`;
  let response;
  try {
    response = await fetch(SERVER + path, {
      method, headers, body: body === undefined ? undefined : JSON.stringify(body),
      credentials: "omit", cache: "no-store",
    });
  } catch (_) {
    throw new ApiError("network", `Cannot reach the server at ${SERVER}. Check the connection and try again.`);
  }
  let data = null;
  try { data = await response.json(); } catch (_) { data = null; }
  if (!response.ok) throw fromEnvelope(data, response.status);
  return data;
}
