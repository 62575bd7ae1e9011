// The meeting page: participants and their states, chat, raised hands and moderation,
// kept in step with the server over the room's socket (protocol in parley/meetings/protocol.py).
import { _ } from "./i18n.js";
import { EVENT_KINDS } from "./generated/protocol.js";
import { connect } from "./live.js";
import { reduce } from "./meeting-state.js";
import { Media } from "./media/index.js";
import { Polls } from "./polls.js";
import { SharedVideo } from "./video.js";

const PROTOCOL_VERSION = 1;
const URL_PATTERN = /\bhttps?:\/\/[^\s<>"']+/g;

const state = {
  you: null,
  participants: new Map(),
  chat: [],
  locks: {},
  last: null,
  waiting: [],
};
let socket = null;
let root = null;
let media = null;
let polls = null;
let sharedVideo = null;
let connections = 0;

function isModerator() {
  return state.you && state.you.role === "moderator";
}

function send(message) {
  if (socket) socket.send(message);
}

/**
 * @template {keyof HTMLElementTagNameMap} K
 * @param {K} tag
 * @param {{ className?: string, text?: string, attrs?: Record<string, string> }} [options]
 * @param {(Node | string)[]} [children]
 * @returns {HTMLElementTagNameMap[K]}
 */
function element(tag, { className, text, attrs } = {}, children = []) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  for (const [name, value] of Object.entries(attrs || {})) node.setAttribute(name, value);
  node.append(...children);
  return node;
}

// Chat text with its web links made clickable; everything else stays text.
function linkify(text) {
  const parts = [];
  let last = 0;
  for (const match of text.matchAll(URL_PATTERN)) {
    if (match.index > last) parts.push(document.createTextNode(text.slice(last, match.index)));
    parts.push(
      element("a", { text: match[0], attrs: { href: match[0], target: "_blank", rel: "noopener noreferrer nofollow" } }),
    );
    last = match.index + match[0].length;
  }
  if (last < text.length) parts.push(document.createTextNode(text.slice(last)));
  return parts;
}

// Small line icons (drawn here, so they look the same without any emoji font).
const ICONS = {
  hand: '<path d="M18 11V6a2 2 0 0 0-4 0v5"/><path d="M14 10V4a2 2 0 0 0-4 0v6"/><path d="M10 10.5V6a2 2 0 0 0-4 0v8a8 8 0 0 0 16 0v-2a2 2 0 0 0-4 0"/>',
  mic: '<path d="M12 2a3 3 0 0 0-3 3v7a3 3 0 0 0 6 0V5a3 3 0 0 0-3-3z"/><path d="M19 10v2a7 7 0 0 1-14 0v-2"/><path d="M12 19v3"/>',
  micOff: '<path d="M12 2a3 3 0 0 0-3 3v7a3 3 0 0 0 6 0V5a3 3 0 0 0-3-3z"/><path d="M19 10v2a7 7 0 0 1-14 0v-2"/><path d="M12 19v3"/><path d="M3 3l18 18"/>',
  camera: '<path d="M23 7l-7 5 7 5V7z"/><rect x="1" y="5" width="15" height="14" rx="2"/>',
  screen: '<rect x="2" y="3" width="20" height="14" rx="2"/><path d="M8 21h8M12 17v4"/>',
};

function icon(name, label, className = "") {
  const span = element("span", { className: `state-icon ${className}`, attrs: { role: "img", "aria-label": label, title: label } });
  span.innerHTML = `<svg viewBox="0 0 24 24" width="16" height="16" fill="none" stroke="currentColor" stroke-width="2" stroke-linecap="round" stroke-linejoin="round" aria-hidden="true">${ICONS[name]}</svg>`;
  return span;
}

function stateIcons(person) {
  const icons = element("span", { className: "states" });
  if (person.hand) icons.append(icon("hand", _("Hand raised"), "hand"));
  icons.append(person.muted ? icon("micOff", _("Microphone off"), "off") : icon("mic", _("Microphone on")));
  if (person.camera) icons.append(icon("camera", _("Camera on")));
  if (person.screen) icons.append(icon("screen", _("Sharing the screen")));
  return icons;
}

function moderationMenu(person) {
  const menu = element("details", { className: "person-menu" });
  menu.append(element("summary", { text: "⋯", attrs: { "aria-label": _("Actions for %(name)s", { name: person.name }) } }));
  const list = element("div", { className: "menu-items" });
  const item = (label, message, style = "") => {
    const button = element("button", { className: `button small ${style}`, text: label, attrs: { type: "button" } });
    button.addEventListener("click", () => {
      menu.open = false;
      send(message);
    });
    list.append(button);
  };
  if (!person.muted) item(_("Mute"), { type: "mod.mute", target: person.id });
  if (person.role === "moderator") item(_("Remove moderator rights"), { type: "mod.demote", target: person.id });
  else item(_("Make moderator"), { type: "mod.promote", target: person.id });
  item(_("Remove from the meeting"), { type: "mod.remove", target: person.id, ban: false }, "danger");
  item(_("Remove and ban"), { type: "mod.remove", target: person.id, ban: true }, "danger");
  menu.append(list);
  return menu;
}

function renderParticipants() {
  const list = document.getElementById("participant-list");
  const people = [...state.participants.values()].sort((a, b) => {
    // Raised hands first, in the order they were raised; then moderators; then by name.
    if (a.hand && b.hand) return a.hand.localeCompare(b.hand);
    if (a.hand || b.hand) return a.hand ? -1 : 1;
    if (a.role !== b.role) return a.role === "moderator" ? -1 : 1;
    return a.name.localeCompare(b.name);
  });
  list.replaceChildren(
    ...people.map((person) => {
      const mine = state.you && person.id === state.you.id;
      const item = element("li", { className: "person", attrs: { "data-participant": person.id } });
      item.append(
        element("span", { className: "avatar small", text: (person.name || "?").slice(0, 1).toUpperCase(), attrs: { "aria-hidden": "true" } }),
        element("span", { className: "person-name", text: person.name + (mine ? ` (${_("you")})` : "") }),
      );
      if (person.role === "moderator") item.append(element("span", { className: "role-chip", text: _("Moderator") }));
      if (person.guest) item.append(element("span", { className: "role-chip", text: _("Guest") }));
      item.append(stateIcons(person));
      if (isModerator() && !mine) item.append(moderationMenu(person));
      return item;
    }),
  );
  document.getElementById("participant-count").textContent = `(${people.length})`;
  renderRecipients();
}

function renderRecipients() {
  const select = /** @type {HTMLSelectElement} */ (document.getElementById("chat-to"));
  const current = select.value;
  const options = [element("option", { text: _("Everyone"), attrs: { value: "" } })];
  for (const person of state.participants.values()) {
    if (state.you && person.id === state.you.id) continue;
    options.push(element("option", { text: person.name, attrs: { value: person.id } }));
  }
  select.replaceChildren(...options);
  select.value = [...select.options].some((o) => o.value === current) ? current : "";
}

function chatItem(message) {
  const mine = state.you && message.from === state.you.id;
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

function renderChat() {
  const list = document.getElementById("chat-list");
  const atBottom = list.scrollHeight - list.scrollTop - list.clientHeight < 40;
  list.replaceChildren(...state.chat.map(chatItem));
  if (atBottom) list.scrollTop = list.scrollHeight;
  document.getElementById("chat-empty").hidden = state.chat.length > 0;
}

function renderLocks() {
  for (const box of /** @type {NodeListOf<HTMLInputElement>} */ (document.querySelectorAll("[data-lock]"))) box.checked = Boolean(state.locks[box.dataset.lock]);
  const locked = !isModerator() && state.locks.chat;
  document.getElementById("chat-locked").hidden = !locked;
}

function renderYou() {
  if (!state.you) return;
  const me = state.participants.get(state.you.id) || state.you;
  state.you = { ...state.you, ...me };
  document.getElementById("my-role").textContent = isModerator() ? _("Moderator") : _("Participant");
  for (const node of /** @type {NodeListOf<HTMLElement>} */ (document.querySelectorAll("[data-moderator-only]"))) node.hidden = !isModerator();
  const hand = document.getElementById("hand-button");
  hand.setAttribute("aria-pressed", me.hand ? "true" : "false");
  hand.textContent = me.hand ? _("Lower my hand") : _("Raise my hand");
}

function renderWaiting() {
  const panel = document.getElementById("waiting-panel");
  const list = document.getElementById("waiting-list");
  panel.hidden = !isModerator() || state.waiting.length === 0;
  list.replaceChildren(
    ...state.waiting.map((person) => {
      const item = element("li", { className: "person" });
      item.append(element("span", { className: "person-name", text: person.name }));
      if (person.guest) item.append(element("span", { className: "role-chip", text: _("Guest") }));
      const actions = element("span", { className: "person-actions" });
      for (const [type, label, style] of [["mod.admit", _("Admit"), "primary"], ["mod.refuse", _("Refuse"), "danger"]]) {
        const button = element("button", { className: `button small ${style}`, text: label, attrs: { type: "button", "aria-label": `${label}: ${person.name}` } });
        button.addEventListener("click", () => {
          button.disabled = true;
          send({ type, entry: person.id });
        });
        actions.append(button);
      }
      item.append(actions);
      return item;
    }),
  );
}

function renderAll() {
  renderYou();
  renderParticipants();
  renderChat();
  renderLocks();
  renderWaiting();
}

let noticeTimer = null;

function notice(text) {
  const box = document.getElementById("meeting-notice");
  box.textContent = text;
  box.hidden = false;
  clearTimeout(noticeTimer);
  noticeTimer = setTimeout(() => {
    box.hidden = true;
  }, 6000);
}

function ended(title, text) {
  socket.stop();
  media.leave();
  document.getElementById("ended-title").textContent = title;
  document.getElementById("ended-text").textContent = text;
  document.getElementById("meeting-ended").hidden = false;
  document.getElementById("connection-status").hidden = true;
}

function people() {
  return [...state.participants.values()];
}

// A reaction floats over the sender's tile and beside their name for a few seconds.
const REACTION_MS = 4000;
function showReaction(from, emoji) {
  const person = state.participants.get(from);
  if (!person) return;
  for (const target of document.querySelectorAll(`[data-tile="${CSS.escape(from)}"], #participant-list [data-participant="${CSS.escape(from)}"]`)) {
    const bubble = element("span", { className: "reaction-bubble", text: emoji, attrs: { role: "img", "aria-label": _("%(name)s reacts %(emoji)s", { name: person.name, emoji }) } });
    target.append(bubble);
    setTimeout(() => bubble.remove(), REACTION_MS);
  }
}

function applyEvent(event) {
  const data = event.data || {};
  const { you, removed, ...changes } = reduce(state, event);
  Object.assign(state, changes);
  if (you) media.youUpdated(you);
  if (changes.participants) media.participants(people());
  if (changes.locks) media.locksChanged(changes.locks);
  if (removed) {
    ended(_("You were removed from the meeting."), removed.ban ? _("A moderator removed you; you cannot come back to this meeting.") : _("A moderator removed you."));
  }
  if (event.kind.startsWith("poll.")) polls.event(event.kind, data);
  else if (event.kind === "video") sharedVideo.update(data.video || null);
  else if (event.kind === "media") media.mediaMoved(data);
  else if (!EVENT_KINDS.includes(event.kind)) console.warn("Unknown meeting event:", event.kind);
}

function onMessage(message) {
  switch (message.type) {
    case "welcome":
      if (message.version !== PROTOCOL_VERSION) {
        location.reload();
        return;
      }
      state.you = message.you;
      state.participants = new Map(message.participants.map((p) => [p.id, p]));
      state.chat = message.chat;
      state.locks = message.locks;
      state.last = message.last_event;
      renderAll();
      media.welcome(message.you, people(), message.locks, message.media);
      polls.snapshot(message);
      sharedVideo.snapshot(message);
      break;
    case "signal":
      media.signal(message);
      break;
    case "reaction":
      showReaction(message.from, message.emoji);
      break;
    case "superseded":
      socket.stop();
      media.release();
      document.getElementById("meeting-superseded").hidden = false;
      break;
    case "event":
      if (state.last !== null && message.id <= state.last) return;
      if (state.last !== null && message.id > state.last + 1) {
        // A gap: ask again from the last event seen; the server replays or sends a snapshot.
        send({ type: "hello", last_event: state.last });
        return;
      }
      state.last = message.id;
      applyEvent(message);
      renderAll();
      break;
    case "waiting":
      state.waiting = message.items || [];
      renderWaiting();
      break;
    case "error":
      if (["banned", "meeting_ended", "not_in_meeting"].includes(message.code)) {
        ended(_("You are not in this meeting."), message.message);
      } else {
        if (message.code === "locked") media.refused();
        if (message.code === "bad_video") sharedVideo.refused(message.message);
        else notice(message.message);
      }
      break;
    case "closed":
      ended(_("The meeting has ended."), _("A moderator closed the room."));
      break;
    default:
      break;
  }
}

function wireControls() {
  document.getElementById("hand-button").addEventListener("click", () => {
    const me = state.you && state.participants.get(state.you.id);
    send({ type: me && me.hand ? "hand.lower" : "hand.raise" });
  });
  /** @type {HTMLFormElement} */ (document.getElementById("chat-form")).addEventListener("submit", (event) => {
    event.preventDefault();
    const input = /** @type {HTMLTextAreaElement} */ (document.getElementById("chat-text"));
    const text = input.value.trim();
    if (!text) return;
    const to = /** @type {HTMLSelectElement} */ (document.getElementById("chat-to")).value || null;
    send({ type: "chat.send", text, to });
    input.value = "";
  });
  /** @type {HTMLTextAreaElement} */ (document.getElementById("chat-text")).addEventListener("keydown", (event) => {
    if (event.key === "Enter" && !event.shiftKey) {
      event.preventDefault();
      /** @type {HTMLFormElement} */ (document.getElementById("chat-form")).requestSubmit();
    }
  });
  const actions = {
    "mute-all": { type: "mod.mute_all" },
    "lower-hands": { type: "mod.lower_hands" },
    "clear-chat": { type: "chat.clear" },
  };
  for (const [id, message] of Object.entries(actions)) {
    document.getElementById(id).addEventListener("click", () => send(message));
  }
  for (const button of document.querySelectorAll("[data-reaction]")) {
    button.addEventListener("click", () => send({ type: "reaction", emoji: /** @type {HTMLElement} */ (button).dataset.reaction }));
  }
  document.getElementById("end-meeting").addEventListener("click", () => {
    if (window.confirm(_("End the meeting for everyone?"))) send({ type: "mod.end" });
  });
  for (const box of /** @type {NodeListOf<HTMLInputElement>} */ (document.querySelectorAll("[data-lock]"))) {
    box.addEventListener("change", () => send({ type: "mod.lock", [box.dataset.lock]: box.checked }));
  }
}

export async function initialize() {
  root = document.querySelector('[data-mode="meeting"]');
  if (!root) return;
  wireControls();
  media = new Media({ root, send, notice });
  window.parleyMedia = media; // to look at connections from the browser's console (and tests)
  polls = new Polls({ send, isModerator, notice });
  sharedVideo = new SharedVideo({ send, you: () => state.you, isModerator, notice });
  document.getElementById("use-here").addEventListener("click", () => location.reload());
  document.querySelector('form[action$="/leave"]').addEventListener("submit", () => media.leave());
  // Nobody is in the meeting (nor in its list) before pressing Join on the pre-join screen.
  await media.prejoin();
  socket = connect(root.dataset.liveUrl, {
    onOpen: () => {
      send({ type: "hello", last_event: state.last });
      connections += 1;
      // Signals sent after the hello: the server reads a socket's messages in order.
      if (connections > 1) media.reconnected();
    },
    onMessage,
    onStatus: (status) => {
      const box = document.getElementById("connection-status");
      box.hidden = status === "connected";
      box.textContent = status === "connected" ? "" : _("Reconnecting…");
    },
  });
}
