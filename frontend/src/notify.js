// Every page's own connection (`/live`): presence dots, calls ringing, notifications.
import { apiFetch, csrfToken } from "./csrf.js";
import { _ } from "./i18n.js";
import { connect } from "./live.js";

const PRESENCE_LABELS = {
  online: "Online",
  meeting: "In a meeting",
  busy: "Do not disturb",
  offline: "Offline",
};
const RING_MUTED_KEY = "parley.ringMuted";

let live = null;
let me = null;
const watched = new Set();
const popins = new Map();
let ringer = null;

export function initialize() {
  const area = document.getElementById("ring-area");
  if (!area) return;
  me = Number(area.dataset.userId);
  initializeFilter();
  /** @type {NodeListOf<HTMLElement>} */ (document.querySelectorAll("[data-presence]")).forEach((node) => watched.add(Number(node.dataset.presence)));
  live = connect(area.dataset.live, {
    onMessage: receive,
    onOpen: () => sendWatch(),
  });
  window.parleyPeople = { watch, live: () => live };
}

// Other parts of the page (the meeting's invite list) show people's presence too.
export function watch(ids) {
  ids.forEach((id) => watched.add(Number(id)));
  sendWatch();
}

function sendWatch() {
  if (live && watched.size) live.send({ type: "watch", users: [...watched].slice(0, 500) });
}

function receive(message) {
  switch (message.type) {
    case "hello":
      setUnread(message.unread);
      for (const invitation of message.ringing || []) show(invitation);
      break;
    case "ring":
    case "invitation":
      show(message.invitation);
      break;
    case "notification":
      setUnread(message.unread);
      break;
    case "presence":
      for (const [id, state] of Object.entries(message.states)) setPresence(Number(id), state);
      break;
    default:
      break;
  }
}

function setUnread(count) {
  const badge = document.getElementById("bell-count");
  if (!badge) return;
  badge.textContent = String(count);
  badge.hidden = !count;
  const bell = document.getElementById("bell");
  if (bell) bell.title = count ? _("%(count)s new notifications", { count }) : _("Notifications");
}

function setPresence(id, state) {
  /** @type {NodeListOf<HTMLElement>} */ (document.querySelectorAll(`[data-presence="${id}"]`)).forEach((dot) => {
    dot.className = `presence presence-${state}`;
    dot.setAttribute("aria-label", _(PRESENCE_LABELS[state] || state));
    dot.title = _(PRESENCE_LABELS[state] || state);
  });
  document.querySelectorAll(`[data-presence-label="${id}"]`).forEach((label) => {
    label.textContent = _(PRESENCE_LABELS[state] || state);
  });
  document.dispatchEvent(new CustomEvent("parley:presence", { detail: { id, state } }));
}

function show(invitation) {
  document.dispatchEvent(new CustomEvent("parley:invitation", { detail: invitation }));
  if (invitation.to.id === me) showIncoming(invitation);
  else if (invitation.from.id === me) showOutgoing(invitation);
}

// The callee's pop-in

function showIncoming(invitation) {
  const existing = popins.get(invitation.id);
  if (invitation.state !== "ringing") {
    if (existing) existing.remove();
    popins.delete(invitation.id);
    updateRinger();
    return;
  }
  if (existing) return;
  const remaining = new Date(invitation.expires_at).getTime() - Date.now();
  if (remaining <= 0) return;
  const popin = document.createElement("div");
  popin.className = "ring-popin";
  popin.setAttribute("role", "alertdialog");
  popin.setAttribute("aria-labelledby", `ring-title-${invitation.id}`);
  popin.dataset.invitation = invitation.id;
  const what =
    invitation.kind === "call"
      ? _("is calling you")
      : _("invites you to join “%(room)s”", { room: invitation.room.name });
  const accept = _("Accept");
  const decline = _("Decline");
  popin.innerHTML = `
    <span class="avatar large" aria-hidden="true"></span>
    <div class="ring-text">
      <strong id="ring-title-${invitation.id}" class="ring-name"></strong>
      <p class="ring-what"></p>
    </div>
    <div class="ring-actions">
      <form method="post" action="/invitations/${invitation.id}/accept">
        <input type="hidden" name="csrf_token">
        <button type="submit" class="button primary" data-accept></button>
      </form>
      <button type="button" class="button danger" data-decline></button>
      <button type="button" class="button ghost small" data-mute aria-pressed="false"></button>
    </div>`;
  popin.querySelector("[data-accept]").textContent = accept;
  popin.querySelector("[data-decline]").textContent = decline;
  popin.querySelector(".avatar").textContent = invitation.from.name.slice(0, 1).toUpperCase();
  popin.querySelector(".ring-name").textContent = invitation.from.name;
  popin.querySelector(".ring-what").textContent = what;
  /** @type {HTMLInputElement} */ (popin.querySelector('input[name="csrf_token"]')).value = csrfToken();
  popin.querySelector("[data-decline]").addEventListener("click", async () => {
    popin.remove();
    popins.delete(invitation.id);
    updateRinger();
    await apiFetch(`/api/v1/invitations/${invitation.id}/decline`, { method: "POST" });
  });
  const mute = popin.querySelector("[data-mute]");
  const showMute = () => {
    const muted = localStorage.getItem(RING_MUTED_KEY) === "1";
    const label = muted ? _("Ring sound on") : _("Mute the ring");
    mute.textContent = (muted ? "🔔 " : "🔕 ") + label;
    mute.setAttribute("aria-pressed", String(muted));
  };
  mute.addEventListener("click", () => {
    const muted = localStorage.getItem(RING_MUTED_KEY) === "1";
    localStorage.setItem(RING_MUTED_KEY, muted ? "0" : "1");
    showMute();
    updateRinger();
  });
  showMute();
  document.getElementById("ring-area").append(popin);
  popins.set(invitation.id, popin);
  setTimeout(() => {
    popin.remove();
    popins.delete(invitation.id);
    updateRinger();
  }, remaining);
  /** @type {HTMLElement} */ (popin.querySelector("[data-accept]")).focus();
  updateRinger();
}

// A two-tone ring made by the browser (no file to fetch), while something rings.
function updateRinger() {
  const wanted = popins.size > 0 && localStorage.getItem(RING_MUTED_KEY) !== "1";
  if (wanted && !ringer) ringer = startRinging();
  if (!wanted && ringer) {
    ringer.stop();
    ringer = null;
  }
}

function startRinging() {
  let context;
  try {
    context = new AudioContext();
  } catch {
    return { stop() {} };
  }
  context.resume().catch(() => {});
  const ring = () => {
    const now = context.currentTime;
    [0, 0.45].forEach((offset, index) => {
      const oscillator = context.createOscillator();
      const gain = context.createGain();
      oscillator.frequency.value = index ? 480 : 440;
      gain.gain.setValueAtTime(0.0001, now + offset);
      gain.gain.exponentialRampToValueAtTime(0.2, now + offset + 0.05);
      gain.gain.exponentialRampToValueAtTime(0.0001, now + offset + 0.4);
      oscillator.connect(gain).connect(context.destination);
      oscillator.start(now + offset);
      oscillator.stop(now + offset + 0.42);
    });
  };
  ring();
  const timer = setInterval(ring, 2500);
  return {
    stop() {
      clearInterval(timer);
      context.close().catch(() => {});
    },
  };
}

// The caller's status line

let statusTimer = null;

function showOutgoing(invitation) {
  const status = document.getElementById("call-status");
  if (!status) return;
  const name = invitation.to.name;
  const texts = {
    ringing: invitation.kind === "call" ? _("Calling %(name)s…", { name }) : _("Inviting %(name)s…", { name }),
    accepted: _("%(name)s accepted and is joining.", { name }),
    declined: invitation.kind === "call" ? _("%(name)s declined the call.", { name }) : _("%(name)s declined the invitation.", { name }),
    missed: _("%(name)s did not answer.", { name }),
    cancelled: invitation.kind === "call" ? _("Call cancelled.") : _("Invitation cancelled."),
  };
  status.innerHTML = "";
  status.dataset.state = invitation.state;
  status.dataset.invitation = invitation.id;
  const text = document.createElement("span");
  text.className = "call-status-text";
  text.textContent = texts[invitation.state] || "";
  status.append(text);
  const button = document.createElement("button");
  button.type = "button";
  button.className = "button small";
  if (invitation.state === "ringing") {
    button.textContent = _("Cancel");
    button.addEventListener("click", () => apiFetch(`/api/v1/invitations/${invitation.id}/cancel`, { method: "POST" }));
  } else {
    button.textContent = _("Close");
    button.addEventListener("click", () => {
      status.hidden = true;
    });
  }
  status.append(button);
  status.hidden = false;
  clearTimeout(statusTimer);
  if (invitation.state === "accepted" || invitation.state === "cancelled") {
    statusTimer = setTimeout(() => {
      status.hidden = true;
    }, 5000);
  }
}

// The People page: the list narrows as you type.
function initializeFilter() {
  const input = /** @type {HTMLInputElement} */ (document.querySelector("[data-filter]"));
  if (!input) return;
  const list = document.querySelector(input.dataset.filter);
  if (!list) return;
  input.addEventListener("input", () => {
    const words = input.value.trim().toLowerCase().split(/\s+/).filter(Boolean);
    let shown = 0;
    /** @type {NodeListOf<HTMLElement>} */ (list.querySelectorAll("[data-search]")).forEach((item) => {
      const match = words.every((word) => item.dataset.search.includes(word));
      item.hidden = !match;
      if (match) shown += 1;
    });
    const none = document.getElementById("people-none");
    if (none) none.hidden = shown > 0;
  });
}
