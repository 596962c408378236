// One reaction round trip through the official Socket.IO JS client.
//
//   node tests/js/react_client.mjs <url> <access_token> <chat_id> <message_id> <emoji>
//
// Connects to /personal, reacts to the message with the emoji, waits for the `message-reactions` push
// about it, then takes the reaction back, and prints one JSON line per step: "reacted" and "unreacted"
// with the acks, "pushed" with the first push's data ("connect_error" when refused). Exits 0 when it got
// that far, 1 on a timeout.
import { io } from "socket.io-client";

const [url, accessToken, chatId, messageId, emoji] = process.argv.slice(2);
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

const pushed = new Promise((resolve) => {
  socket.on("message-reactions", (data) => { if (data.MessageId === messageId) resolve(data); });
});

socket.on("connect", async () => {
  const react = { ChatId: chatId, MessageId: messageId, Emoji: emoji, On: true };
  print("reacted", { ack: await socket.timeout(5000).emitWithAck("react-message", react) });
  print("pushed", { data: await pushed });
  print("unreacted", { ack: await socket.timeout(5000).emitWithAck("react-message", { ...react, On: false }) });
  clearTimeout(timer);
  socket.close();
});
