// What the client knows, in one place. Views read it and re-render; socket handlers change it.

export const state = {
  me: null,                 // {id, username}
  personal: new Map(),      // ChatId → PersonalChatList entry {ChatId, Partner, LastMessage, Unread, UpdatedAt}
  groups: new Map(),        // GroupId → GroupChatList entry {GroupId, Name, Description, Admin, Members, ...}
  presence: new Map(),      // userId → {Online, Away}
  typing: new Map(),        // chat key → Map(userId → {name, timer})
  partnerRead: new Map(),   // personal ChatId → the partner's read Seq (as heard in this session)
  blocked: null,            // Set of the user ids we block (GET /me/blocks), null until loaded
  current: null,            // the open chat: {key, kind, id, title, partner?, messages, hasMore, closed?}
};

export const chatKey = (kind, id) => `${kind}:${id}`;

/** The newest activity of a list entry, as an ISO string (they sort as text). */
export function activity(entry) {
  const last = entry.LastMessage && entry.LastMessage.CreatedAt;
  return [entry.UpdatedAt || "", last || ""].sort().pop();
}

export function isAdmin(group) { return Boolean(group && group.Admin && state.me && group.Admin.id === state.me.id); }

/** Whether a list entry is muted now: a mute whose MutedUntil has passed reads as not muted. */
export function isMuted(entry) {
  return Boolean(entry && entry.Muted && (!entry.MutedUntil || Date.parse(entry.MutedUntil) > Date.now()));
}

export function presenceOf(userId) {
  return state.presence.get(userId) || { Online: false };
}

export function reset() {
  state.me = null;
  state.current = null;
  for (const map of [state.personal, state.groups, state.presence, state.partnerRead]) map.clear();
  state.blocked = null;
  for (const users of state.typing.values()) for (const t of users.values()) clearTimeout(t.timer);
  state.typing.clear();
}
