// The web client's service worker (served as /sw.js so that its scope covers the page): it shows the pushes
// the server sends to people who are away, and opens the chat when one is clicked. A push carries
// {"Type": "message", "ChatId" | "GroupId", "Sender": {"id", "username"}, "Excerpt"} (docs/api.md).
"use strict";

self.addEventListener("install", () => self.skipWaiting());
self.addEventListener("activate", (event) => event.waitUntil(self.clients.claim()));

function notificationOf(data) {
  const sender = (data.Sender && data.Sender.username) || "Someone";
  const chat = data.GroupId ? { kind: "group", id: data.GroupId } : { kind: "personal", id: data.ChatId };
  return {
    title: data.GroupId ? `${sender} in a group` : sender,
    options: { body: data.Excerpt || "New message", tag: `${chat.kind}:${chat.id}`, renotify: true, data: chat },
  };
}

self.addEventListener("push", (event) => {
  let data = {};
  try {
    data = event.data ? event.data.json() : {};
  } catch (_) {
    data = {};
  }
  if (data.Type !== "message") return;
  const { title, options } = notificationOf(data);
  event.waitUntil(self.registration.showNotification(title, options));
});

self.addEventListener("notificationclick", (event) => {
  event.notification.close();
  const chat = event.notification.data || {};
  const url = new URL(`./?open=${encodeURIComponent(chat.kind || "")}:${encodeURIComponent(chat.id || "")}`,
                      self.registration.scope).href;
  event.waitUntil((async () => {
    const windows = await self.clients.matchAll({ type: "window", includeUncontrolled: true });
    for (const client of windows) {
      if (new URL(client.url).origin === self.location.origin) {
        client.postMessage({ type: "open-chat", chat });
        return client.focus();
      }
    }
    return self.clients.openWindow(url);
  })());
});
