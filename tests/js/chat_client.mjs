// A web client's first words with the server, through the official Socket.IO JS client.
//
//   node tests/js/chat_client.mjs <url> <access_token> <partner_id>
//
// Connects to /personal with the token, fetches the chat with the partner, sends a message with
// a ClientId (twice: a retry must return the stored message), and prints one JSON line per step:
// {"step": "connect_error", "message", "code"} when refused, else "fetched", "sent" and "resent"
// with the acks. Exits 0 when it got that far, 1 on a timeout.
import { io } from "socket.io-client";

const [url, accessToken, partnerId] = process.argv.slice(2);
const print = (step, data) => console.log(JSON.stringify({ step, ...data }));
const timer = setTimeout(() => { print("timeout", {}); process.exit(1); }, 10000);

const socket = io(`${url}/personal`, {
  auth: { access_token: accessToken },
  transports: ["websocket"],
  reconnection: false,
});

socket.on("connect_error", (err) => {
  print("connect_error", { message: err.message, code: err.data ? err.data.code : null });
  clearTimeout(timer);
  socket.close();
});

socket.on("personal-chat", (page) => print("personal-chat", { ChatId: page.ChatId }));

socket.on("connect", async () => {
  const fetched = await socket.timeout(5000).emitWithAck("fetch-personal-chat", { Partner: partnerId });
  print("fetched", { ack: fetched });
  const message = { ChatId: fetched.ChatId, Content: "hello from socket.io-client", ClientId: "js-1" };
  print("sent", { ack: await socket.timeout(5000).emitWithAck("send-personal-message", message) });
  print("resent", { ack: await socket.timeout(5000).emitWithAck("send-personal-message", message) });
  clearTimeout(timer);
  socket.close();
});
