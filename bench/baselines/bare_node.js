// A bare Node.js socket.io server relaying the chat's events: no database, no checks.
//
//     node bench/baselines/bare_node.js PORT
//
// The same namespaces, event names and payload shapes as the real server. The auth handshake is
// trivially accepted: the user id is read, unverified, from the access token.
"use strict";
const http = require("http");
const crypto = require("crypto");
const { Server } = require("socket.io");

const port = Number(process.argv[2]);
const server = http.createServer((req, res) => {
  if (req.url === "/health") { res.writeHead(200, { "Content-Type": "application/json" }); res.end('{"status":"ok"}'); return; }
  res.writeHead(404); res.end();
});
const io = new Server(server, { maxHttpBufferSize: 64 * 1024, pingInterval: 25000, pingTimeout: 20000,
  transports: ["websocket", "polling"] });
const chats = new Map();
const groups = new Map();
let nextGroup = 1;

const now = () => new Date().toISOString();
const hex24 = () => crypto.randomBytes(12).toString("hex");

function claims(token) {
  try { return JSON.parse(Buffer.from(String(token).split(".")[1], "base64url").toString()); } catch { return null; }
}

function accept(socket, next) {
  const data = claims((socket.handshake.auth || {}).access_token);
  if (!data) { const err = new Error("unauthorized"); err.data = { code: "unauthorized" }; return next(err); }
  socket.data.user = { id: data.sub, username: data.name || data.sub };
  socket.join(`user:${data.sub}`);
  next();
}

function message(chatId, chat, sender, content, clientId, key) {
  chat.seq += 1;
  return { MessageId: hex24(), [key]: chatId, Sender: sender, Content: content, CreatedAt: now(), EditedAt: null,
    Deleted: false, ClientId: clientId === undefined ? null : clientId, Seq: chat.seq };
}

for (const ns of ["/", "/self", "/personal", "/group"]) io.of(ns).use(accept);

io.of("/").on("connection", (socket) => {
  const user = socket.data.user;
  socket.emit("user-id", { userId: user.id, userName: user.username });
  socket.emit("personal-chat-list", { PersonalChatList: [{ ChatId: "0".repeat(24),
    Partner: { id: user.id, username: user.username, Online: false }, LastMessage: null, Unread: 0, UpdatedAt: now() }] });
  socket.emit("group-chat-list", { GroupChatList: [] });
  socket.on("ping", (data, ack) => { if (typeof ack === "function") ack({ ok: true, sid: socket.id, ServerTime: now() }); });
});

io.of("/personal").on("connection", (socket) => {
  const user = socket.data.user;
  socket.on("fetch-personal-chat", (data, ack) => {
    const members = [user.id, data.Partner].sort();
    const chatId = crypto.createHash("sha1").update(members.join(":")).digest("hex").slice(0, 24);
    if (!chats.has(chatId)) chats.set(chatId, { members, seq: 0 });
    const reply = { ChatId: chatId, Messages: [], UserId: user.id, User: user,
      Partner: { id: data.Partner, username: data.Partner }, HasMore: false };
    socket.emit("personal-chat", reply);
    ack({ ok: true, ...reply });
  });
  socket.on("send-personal-message", (data, ack) => {
    const chat = chats.get(data.ChatId);
    const out = message(data.ChatId, chat, user, String(data.Content).trim(), data.ClientId, "ChatId");
    socket.to(chat.members.map((m) => `user:${m}`)).emit("receive-personal-message",
      { ChatId: data.ChatId, Content: out.Content, Sender: user, Message: out });
    ack({ ok: true, Message: out });
  });
});

io.of("/group").on("connection", (socket) => {
  const user = socket.data.user;
  socket.on("create-group-chat", (data, ack) => {
    const groupId = (nextGroup++).toString(16).padStart(24, "0");
    const members = [user.id, ...new Set(data.Participants.filter((p) => p !== user.id))];
    groups.set(groupId, { members, seq: 0 });
    const nsp = io.of("/group");
    for (const m of members) nsp.in(`user:${m}`).socketsJoin(`group:${groupId}`);
    const group = { GroupId: groupId, Name: data.Name, Description: data.Description || "", Admin: user,
      Members: members.map((m) => ({ id: m, username: m })), CreatedAt: now() };
    nsp.to(`group:${groupId}`).emit("group-created", { Group: group });
    ack({ ok: true, Group: group });
  });
  socket.on("send-group-message", (data, ack) => {
    const group = groups.get(data.GroupId);
    const out = message(data.GroupId, group, user, String(data.Content).trim(), data.ClientId, "GroupId");
    socket.to(`group:${data.GroupId}`).emit("receive-group-message",
      { GroupId: data.GroupId, Content: out.Content, Sender: user, Message: out });
    ack({ ok: true, Message: out });
  });
});

io.of("/self");
server.listen(port, "127.0.0.1", () => console.log(`bare node socket.io on http://127.0.0.1:${port}`));
