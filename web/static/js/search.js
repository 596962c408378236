// Finding people: the user search (GET /users/search), the one list of found users every search box
// shows (each with a button), and the sidebar's search, which starts a chat.
import { describe } from "./api.js";
import { $, debounce, h } from "./dom.js";
import * as session from "./session.js";

/** The users whose usernames match `query`. */
export async function findUsers(query) {
  return (await session.authed("GET", `/users/search?q=${encodeURIComponent(query)}`)).users;
}

/** As the user types in `input` (after a pause), list in `list` who matches, each with a button `action`
 * that calls `pick(user)`. `skip(user)` leaves someone out (already chosen, already a member); `none` begins
 * the line shown when no one is found; `clear()` runs when the box is emptied. */
export function searchUsers(input, list, { action, pick, skip = () => false, none = "No one called",
  clear = () => list.replaceChildren() }) {
  input.addEventListener("input", debounce(async () => {
    const query = input.value.trim();
    if (!query) {
      clear();
      return;
    }
    let items;
    try {
      const users = (await findUsers(query)).filter((user) => !skip(user));
      items = users.length
        ? users.map((user) => h("li", {}, h("span", {}, user.username),
          h("button", { type: "button", onclick: () => pick(user) }, action)))
        : [h("li", { class: "none" }, `${none} “${query}…”`)];
    } catch (error) {
      items = [h("li", { class: "none" }, describe(error))];
    }
    if (input.value.trim() !== query) return; // typed on meanwhile: the newer search answers
    list.replaceChildren(...items);
    list.hidden = false;
  }, 250));
}

/** The sidebar's "find people": a found user's "Chat" button calls `startChat(user)`. */
export function initPeopleSearch(startChat) {
  const input = $("#user-search");
  const list = $("#search-results");
  const clear = () => {
    input.value = "";
    list.hidden = true;
    list.replaceChildren();
  };
  searchUsers(input, list, { action: "Chat", pick: (user) => { clear(); startChat(user); }, clear });
  input.addEventListener("keydown", (event) => { if (event.key === "Escape") clear(); });
  document.addEventListener("click", (event) => { if (!event.target.closest(".search")) clear(); });
}
