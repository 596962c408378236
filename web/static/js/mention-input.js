// `@` suggestions in a text box: typing `@` and the start of a name lists the matching people (in a group:
// its members); a click, Enter or Tab puts `@username ` in the text. Arrow keys move, Escape closes.
import { h } from "./dom.js";

const LIMIT = 6;
// `@` and what follows it up to the caret, when the `@` starts a word (not `bob@example.org`).
const TYPING_MENTION = /(?:^|[^\w.@-])@([A-Za-z0-9_.-]{0,32})$/;

/** Suggest from `people()` ([{id, username}]) in `list` while the user types a mention in `input`.
 * Returns {handles(event)}: the text box's keydown handler asks it first (true: the key was for the list). */
export function initMentionInput(input, list, people) {
  let shown = [];
  let selected = 0;

  function typedName() {
    const before = input.value.slice(0, input.selectionStart);
    const match = before.match(TYPING_MENTION);
    return match ? match[1] : null;
  }

  function close() {
    shown = [];
    list.hidden = true;
    list.replaceChildren();
  }

  function render() {
    list.replaceChildren(...shown.map((user, i) => h("li", {
      role: "option", "aria-selected": i === selected ? "true" : "false", class: i === selected ? "selected" : null,
      dataset: { username: user.username },
      onmousedown: (event) => { event.preventDefault(); choose(user); }, // before the box loses focus
    }, "@", h("b", {}, user.username))));
    list.hidden = !shown.length;
  }

  function update() {
    const name = typedName();
    if (name === null) return close();
    const prefix = name.toLowerCase();
    shown = people().filter((user) => user.username.toLowerCase().startsWith(prefix)).slice(0, LIMIT);
    selected = Math.min(selected, Math.max(shown.length - 1, 0));
    render();
  }

  function choose(user) {
    const caret = input.selectionStart;
    const before = input.value.slice(0, caret);
    const start = before.lastIndexOf("@");
    const text = `@${user.username} `;
    input.value = input.value.slice(0, start) + text + input.value.slice(caret);
    input.selectionStart = input.selectionEnd = start + text.length;
    input.focus();
    close();
  }

  input.addEventListener("input", update);
  input.addEventListener("click", update);
  input.addEventListener("blur", close);

  return {
    handles(event) {
      if (!shown.length || event.isComposing) return false;
      if (event.key === "ArrowDown" || event.key === "ArrowUp") {
        selected = (selected + (event.key === "ArrowDown" ? 1 : shown.length - 1)) % shown.length;
        render();
      } else if (event.key === "Enter" || event.key === "Tab") {
        choose(shown[selected]);
      } else if (event.key === "Escape") {
        close();
      } else {
        return false;
      }
      event.preventDefault();
      return true;
    },
  };
}
