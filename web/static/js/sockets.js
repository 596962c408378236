// The four Socket.IO namespaces over one WebSocket, and acks as promises.
import { ApiError, SERVER, fromEnvelope } from "./api.js";
import { socketAuth } from "./session.js";

export const NAMESPACES = ["/", "/self", "/personal", "/group"];
/** The namespace each kind of chat lives in. */
export const CHAT_NS = { self: "/self", personal: "/personal", group: "/group" };
const ACK_TIMEOUT_MS = 10_000;
let sockets = {};
let waiting = []; // callbacks of ready() calls, tried again at every connect

/** Connect every namespace. `handlers`: {events: {ns: {event: fn(data)}}, refused(ns, socket, err),
 * disconnected(ns, socket, reason), status(), connected(ns)}. */
export function open(handlers) {
  close();
  for (const ns of NAMESPACES) {
    // The auth callback runs at every (re)connection, so a reconnect always sends the newest tokens.
    const socket = window.io(SERVER + (ns === "/" ? "" : ns), {
      auth: (give) => give(socketAuth()),
      transports: ["websocket"],
      reconnectionDelayMax: 5000,
    });
    for (const [event, handler] of Object.entries(handlers.events[ns] || {})) socket.on(event, handler);
    socket.on("connect", () => {
      handlers.status();
      if (handlers.connected) handlers.connected(ns);
      for (const wake of waiting.splice(0)) wake();
    });
    socket.on("disconnect", (reason) => handlers.disconnected(ns, socket, reason));
    socket.on("connect_error", (err) => { handlers.refused(ns, socket, err); handlers.status(); });
    sockets[ns] = socket;
  }
}

/** Disconnect and forget every namespace. */
export function close() {
  for (const socket of Object.values(sockets)) {
    socket.removeAllListeners();
    socket.disconnect();
  }
  sockets = {};
}

export function connected(ns = "/") { return Boolean(sockets[ns] && sockets[ns].connected); }

/** Every namespace is connected. */
export function allConnected() { return NAMESPACES.every((ns) => connected(ns)); }

/** Resolves once namespace `ns` is connected (at once when it is): a fetch waits for the connection instead of
 * failing while it comes back. */
export function ready(ns) {
  return new Promise((resolve) => {
    const check = () => (connected(ns) ? resolve() : waiting.push(check));
    check();
  });
}

/** Emit with an acknowledgement: resolves with {"ok": true, ...}, rejects with an ApiError in words. */
export function call(ns, event, data = {}) {
  const socket = sockets[ns];
  if (!socket || !socket.connected) {
    return Promise.reject(new ApiError("offline", "Not connected to the server right now; try again in a moment."));
  }
  return new Promise((resolve, reject) => {
    socket.timeout(ACK_TIMEOUT_MS).emit(event, data, (err, ack) => {
      if (err) reject(new ApiError("timeout", "The server did not answer in time; try again."));
      else if (!ack || ack.ok !== true) reject(fromEnvelope(ack));
      else resolve(ack);
    });
  });
}

/** Emit without waiting (typing signals): dropped when offline rather than queued. */
export function signal(ns, event, data) {
  const socket = sockets[ns];
  if (socket && socket.connected) socket.volatile.emit(event, data);
}
