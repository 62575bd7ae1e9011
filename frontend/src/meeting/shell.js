// The meeting page's frame: the side panel and its tabs, the clock, the connection's quality,
// the keyboard shortcuts, and what a screen reader is told.
import { _ } from "../i18n.js";
import { element } from "../dom.js";

const PANELS = ["participants", "chat", "notes", "polls"];
const ANNOUNCED = 5;

export class Panel {
  /** @param {{ onOpen?: (name: string) => void }} options */
  constructor({ onOpen = () => {} } = {}) {
    this.box = document.getElementById("side-panel");
    this.current = null;
    this.onOpen = onOpen;
    this.counts = { chat: 0, polls: 0 };
    for (const opener of /** @type {NodeListOf<HTMLElement>} */ (document.querySelectorAll("[data-panel]"))) {
      opener.addEventListener("click", () => (opener.getAttribute("role") === "tab" ? this.open(opener.dataset.panel) : this.toggle(opener.dataset.panel)));
    }
    document.getElementById("panel-close").addEventListener("click", () => this.close());
    this.box.addEventListener("keydown", (event) => {
      const step = { ArrowRight: 1, ArrowLeft: -1 }[event.key];
      if (!step || !(/** @type {HTMLElement} */ (event.target).getAttribute("role") === "tab")) return;
      const next = PANELS[(PANELS.indexOf(this.current) + step + PANELS.length) % PANELS.length];
      this.open(next);
      document.getElementById(`tab-${next}`).focus();
    });
  }

  /** @param {string} name */
  open(name) {
    this.current = name;
    this.box.hidden = false;
    document.body.classList.add("with-panel");
    for (const panel of PANELS) {
      const selected = panel === name;
      const tab = document.getElementById(`tab-${panel}`);
      tab.setAttribute("aria-selected", String(selected));
      tab.tabIndex = selected ? 0 : -1;
      document.getElementById(`${panel}-panel`).hidden = !selected;
      for (const button of document.querySelectorAll(`.control[data-panel="${panel}"]`)) button.setAttribute("aria-pressed", String(selected));
    }
    if (name in this.counts) this.setCount(name, 0);
    this.onOpen(name);
  }

  close() {
    if (!this.current) return;
    const was = this.current;
    this.current = null;
    this.box.hidden = true;
    document.body.classList.remove("with-panel");
    for (const button of document.querySelectorAll(".control[data-panel]")) button.setAttribute("aria-pressed", "false");
    const opener = /** @type {HTMLElement | null} */ (document.querySelector(`.control[data-panel="${was}"]`));
    if (opener && this.box.contains(document.activeElement)) opener.focus();
  }

  /** @param {string} name */
  toggle(name) {
    if (this.current === name) this.close();
    else this.open(name);
  }

  /** Something new in a panel that is not in view: its tab and its button count it. */
  unread(name) {
    if (this.current === name) return;
    this.setCount(name, this.counts[name] + 1);
  }

  setCount(name, count) {
    this.counts[name] = count;
    const badge = document.getElementById(`${name}-unread`);
    badge.textContent = count ? String(count) : "";
    badge.hidden = !count;
    const unread = _("%(count)s unread", { count });
    const label = count ? ` (${unread})` : "";
    for (const button of document.querySelectorAll(`.control[data-panel="${name}"]`)) {
      let dot = button.querySelector(".badge");
      let spoken = button.querySelector(".badge-label");
      if (!dot) {
        dot = element("span", { className: "badge", attrs: { "aria-hidden": "true" } });
        spoken = element("span", { className: "badge-label visually-hidden" });
        button.append(dot, spoken);
      }
      dot.textContent = count ? String(count) : "";
      dot.toggleAttribute("hidden", !count);
      spoken.textContent = label;
    }
  }
}

// How long the meeting has been open, in the top line.
export class Clock {
  /** @param {string} openedAt ISO 8601, or empty */
  constructor(openedAt) {
    const box = document.getElementById("meeting-clock");
    const start = openedAt ? Date.parse(openedAt) : Date.now();
    const tick = () => {
      const seconds = Math.max(0, Math.floor((Date.now() - start) / 1000));
      const h = Math.floor(seconds / 3600);
      const m = Math.floor((seconds % 3600) / 60);
      const s = seconds % 60;
      const two = (n) => String(n).padStart(2, "0");
      box.textContent = h ? `${h}:${two(m)}:${two(s)}` : `${two(m)}:${two(s)}`;
    };
    tick();
    setInterval(tick, 1000);
  }
}

// The connection's quality from the meeting socket's round trips (and whether it is up).
export class Quality {
  constructor() {
    this.box = document.getElementById("connection-indicator");
    this.samples = [];
  }

  rtt(ms) {
    this.samples = [...this.samples.slice(-4), ms];
    const worst = Math.max(...this.samples);
    this.show(worst < 200 ? "good" : worst < 600 ? "fair" : "poor", Math.round(ms));
  }

  status(status) {
    if (status !== "connected") this.show("lost", 0);
  }

  show(quality, ms) {
    const labels = { good: _("Connection: good"), fair: _("Connection: fair"), poor: _("Connection: poor"), lost: _("Connection: lost, reconnecting") };
    const label = ms ? `${labels[quality]} (${ms} ms)` : labels[quality];
    this.box.dataset.quality = quality;
    this.box.setAttribute("aria-label", label);
    this.box.title = label;
  }
}

// Polite announcements for screen readers; joins are gathered so a crowd is one sentence.
export class Announcer {
  constructor() {
    this.box = document.getElementById("announcer");
    // Comings and goings are said together when many come at once (a class arriving).
    this.moves = { joined: [], left: [] };
    this.timer = null;
  }

  say(text) {
    // Lines are added (a screen reader reads each new one) and the oldest go.
    this.box.append(element("p", { text }));
    while (this.box.childElementCount > ANNOUNCED) this.box.firstElementChild.remove();
  }

  joined(name) {
    this.moved("joined", name);
  }

  left(name) {
    this.moved("left", name);
  }

  moved(way, name) {
    this.moves[way].push(name);
    if (this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      const joined = this.moves.joined.splice(0);
      const left = this.moves.left.splice(0);
      if (joined.length === 1) this.say(_("%(name)s joined.", { name: joined[0] }));
      else if (joined.length > 1) this.say(_("%(count)s people joined.", { count: joined.length }));
      if (left.length === 1) this.say(_("%(name)s left.", { name: left[0] }));
      else if (left.length > 1) this.say(_("%(count)s people left.", { count: left.length }));
    }, 1500);
  }
}

function typing(event) {
  const target = event.target;
  return target && (target.isContentEditable || ["INPUT", "TEXTAREA", "SELECT"].includes(target.tagName));
}

// One key per control (shown in the help dialog and in each control's aria-keyshortcuts).
export class Shortcuts {
  /** @param {Record<string, string | (() => void)>} keys a button's id, or what to do */
  constructor(keys) {
    document.addEventListener("keydown", (event) => {
      if (event.ctrlKey || event.metaKey || event.altKey) return;
      if (event.key !== "Escape" && typing(event)) return;
      if (document.querySelector(".ended:not([hidden]), dialog[open], #prejoin:not([hidden])")) return;
      if (event.key === "Escape" && document.querySelector(".menu:popover-open")) return;
      const action = keys[event.key.length === 1 ? event.key.toLowerCase() : event.key] || keys[event.key];
      if (!action) return;
      event.preventDefault();
      if (typeof action === "function") action();
      else {
        const button = /** @type {HTMLButtonElement} */ (document.getElementById(action));
        if (button && !button.disabled) button.click();
      }
    });
  }
}
