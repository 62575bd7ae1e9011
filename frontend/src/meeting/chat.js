// The Chat panel: messages appended as they come (never the whole list again), the private
// recipients, the lock, and the unread count on the closed tab.
import { _ } from "../i18n.js";
import { element } from "../dom.js";

const URL_PATTERN = /\bhttps?:\/\/[^\s<>"']+/g;
// The page keeps this many messages on screen; the export has them all.
const SHOWN = 300;
const RECIPIENTS_MS = 1000;

// Chat text with its web links made clickable; everything else stays text.
export function linkify(text) {
  const parts = [];
  let last = 0;
  for (const match of text.matchAll(URL_PATTERN)) {
    if (match.index > last) parts.push(document.createTextNode(text.slice(last, match.index)));
    parts.push(element("a", { text: match[0], attrs: { href: match[0], target: "_blank", rel: "noopener noreferrer nofollow" } }));
    last = match.index + match[0].length;
  }
  if (last < text.length) parts.push(document.createTextNode(text.slice(last)));
  return parts;
}

export class Chat {
  /** @param {{ client: import("./client.js").MeetingClient }} options */
  constructor({ client }) {
    this.client = client;
    this.list = document.getElementById("chat-list");
    this.select = /** @type {HTMLSelectElement} */ (document.getElementById("chat-to"));
    this.recipients = "";
    this.recipientsAt = -Infinity;
    this.recipientsTimer = null;
    const form = /** @type {HTMLFormElement} */ (document.getElementById("chat-form"));
    const input = /** @type {HTMLTextAreaElement} */ (document.getElementById("chat-text"));
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      const text = input.value.trim();
      if (!text) return;
      client.send({ type: "chat.send", text, to: this.select.value || null });
      input.value = "";
    });
    input.addEventListener("keydown", (event) => {
      if (event.key === "Enter" && !event.shiftKey) {
        event.preventDefault();
        form.requestSubmit();
      }
    });
    document.getElementById("clear-chat").addEventListener("click", () => client.send({ type: "chat.clear" }));
  }

  item(message) {
    const you = this.client.state.you;
    const mine = Boolean(you) && message.from === you.id;
    const item = element("li", { className: `chat-message${message.to ? " private" : ""}${mine ? " mine" : ""}` });
    let who = message.from_name;
    if (message.to) who = _("%(from)s to %(to)s (private)", { from: message.from_name, to: message.to_name });
    const time = new Date(message.at).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
    item.append(
      element("div", { className: "chat-meta" }, [element("strong", { text: who }), element("time", { text: time, attrs: { datetime: message.at } })]),
      element("p", { className: "chat-text" }, linkify(message.text)),
    );
    return item;
  }

  // Everything again: after a snapshot, or when the chat was cleared.
  reset() {
    this.list.replaceChildren(...this.client.state.chat.slice(-SHOWN).map((message) => this.item(message)));
    this.list.scrollTop = this.list.scrollHeight;
    this.after();
  }

  append(message) {
    const atBottom = this.list.scrollHeight - this.list.scrollTop - this.list.clientHeight < 40;
    this.list.append(this.item(message));
    while (this.list.childElementCount > SHOWN) this.list.firstElementChild.remove();
    if (atBottom) this.list.scrollTop = this.list.scrollHeight;
    this.after();
  }

  after() {
    document.getElementById("chat-empty").hidden = this.list.childElementCount > 0;
  }

  // The recipients of a private message: redrawn only when who is here (or a name) changed,
  // and at most once a second while a crowd arrives.
  renderRecipients() {
    const now = performance.now();
    if (now - this.recipientsAt < RECIPIENTS_MS) {
      clearTimeout(this.recipientsTimer);
      this.recipientsTimer = setTimeout(() => this.renderRecipients(), RECIPIENTS_MS);
      return;
    }
    this.recipientsAt = now;
    const you = this.client.state.you;
    const people = [...this.client.state.participants.values()].filter((person) => !you || person.id !== you.id);
    const signature = people.map((person) => `${person.id}\u0000${person.name}`).join("\u0001");
    if (signature === this.recipients) return;
    this.recipients = signature;
    const current = this.select.value;
    const options = [element("option", { text: _("Everyone"), attrs: { value: "" } })];
    for (const person of people) options.push(element("option", { text: person.name, attrs: { value: person.id } }));
    this.select.replaceChildren(...options);
    this.select.value = people.some((person) => person.id === current) ? current : "";
  }

  renderLocks() {
    const locked = !this.client.isModerator() && Boolean(this.client.state.locks.chat);
    document.getElementById("chat-locked").hidden = !locked;
  }
}
