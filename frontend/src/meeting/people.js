// The Participants panel: one row per person, raised hands first; a search; each row's menu
// (mute, presenter, moderator, remove) for moderators. Rows are kept by id (dom.js KeyedList):
// a raised hand in a meeting of 500 redraws one row and moves it, nothing else.
import { _ } from "../i18n.js";
import { element, icon, KeyedList } from "../dom.js";

/** @typedef {import("./state.js").Person} Person */

/**
 * Raised hands first, in the order they were raised; then the presenter, moderators, and
 * everyone else by name.
 * @param {Person} a
 * @param {Person} b
 */
export function byHandRoleName(a, b) {
  if (a.hand && b.hand) return a.hand.localeCompare(b.hand);
  if (a.hand || b.hand) return a.hand ? -1 : 1;
  if (Boolean(a.presenter) !== Boolean(b.presenter)) return a.presenter ? -1 : 1;
  if (a.role !== b.role) return a.role === "moderator" ? -1 : 1;
  return a.name.localeCompare(b.name);
}

function stateIcon(name, label, className = "") {
  const span = element("span", { className: `state-icon ${className}`, attrs: { role: "img", "aria-label": label, title: label } });
  span.append(icon(name));
  return span;
}

function stateIcons(person) {
  const icons = element("span", { className: "states" });
  if (person.hand) icons.append(stateIcon("hand", _("Hand raised"), "hand"));
  icons.append(person.muted ? stateIcon("mic-off", _("Microphone off"), "off") : stateIcon("mic", _("Microphone on")));
  if (person.camera) icons.append(stateIcon("camera", _("Camera on")));
  if (person.screen) icons.append(stateIcon("screen", _("Sharing the screen")));
  return icons;
}

export class PeopleList {
  /**
   * @param {{ client: import("./client.js").MeetingClient, menus: import("./menus.js").Menus }} options
   */
  constructor({ client, menus }) {
    this.client = client;
    this.menus = menus;
    this.query = "";
    this.list = new KeyedList(document.getElementById("participant-list"), (person) => person.id, (person) => this.row(person));
    this.search = /** @type {HTMLInputElement} */ (document.getElementById("participant-search"));
    this.search.addEventListener("input", () => {
      this.query = this.search.value.trim().toLocaleLowerCase();
      this.render();
    });
    this.moderator = null;
  }

  render() {
    const { participants } = this.client.state;
    // A row shows moderation only to moderators: when that changes, every row is redrawn.
    const moderator = this.client.isModerator();
    if (moderator !== this.moderator) {
      this.moderator = moderator;
      this.list.refresh();
    }
    let people = [...participants.values()];
    if (this.query) people = people.filter((person) => person.name.toLocaleLowerCase().includes(this.query));
    people.sort(byHandRoleName);
    this.list.update(people);
    document.getElementById("participant-none").hidden = !this.query || people.length > 0;
    // A webinar's audience is not listed to itself: the server counts everyone.
    const count = this.client.state.webinar ? (this.client.state.count ?? participants.size) : participants.size;
    document.getElementById("participant-count").textContent = `(${count})`;
  }

  row(person) {
    const you = this.client.state.you;
    const mine = Boolean(you) && person.id === you.id;
    const item = element("li", { className: "person", attrs: { "data-participant": person.id } });
    item.append(
      element("span", { className: "avatar small", text: (person.name || "?").slice(0, 1).toUpperCase(), attrs: { "aria-hidden": "true" } }),
      element("span", { className: "person-name", text: person.name + (mine ? ` (${_("you")})` : "") }),
    );
    if (person.presenter) item.append(element("span", { className: "role-chip presenter", text: _("Presenter") }));
    if (person.role === "moderator") item.append(element("span", { className: "role-chip", text: _("Moderator") }));
    if (person.guest) item.append(element("span", { className: "role-chip", text: _("Guest") }));
    item.append(stateIcons(person));
    if (this.client.isModerator()) item.append(this.menuButton(person, mine));
    return item;
  }

  // The row's "⋯" opens the moderation menu for this person (built when opened).
  menuButton(person, mine) {
    const button = element("button", { className: "icon-button person-menu", attrs: { type: "button", "aria-haspopup": "menu", "aria-label": _("Actions for %(name)s", { name: person.name }) } });
    button.append(icon("more"));
    button.addEventListener("click", () => {
      const current = this.client.state.participants.get(person.id) || person;
      const send = (message) => this.client.send(message);
      const items = [];
      if (!current.muted && !mine) items.push({ label: _("Mute"), run: () => send({ type: "mod.mute", target: current.id }) });
      if (!current.presenter) items.push({ label: mine ? _("Present myself") : _("Make presenter"), run: () => send({ type: "mod.presenter", target: current.id }) });
      if (this.client.state.webinar && current.role !== "moderator") {
        if (current.stage) items.push({ label: _("Take off stage"), run: () => send({ type: "mod.stage", target: current.id, on: false }) });
        else items.push({ label: _("Bring on stage"), run: () => send({ type: "mod.stage", target: current.id, on: true }) });
      }
      if (!mine) {
        if (current.role === "moderator") items.push({ label: _("Remove moderator rights"), run: () => send({ type: "mod.demote", target: current.id }) });
        else items.push({ label: _("Make moderator"), run: () => send({ type: "mod.promote", target: current.id }) });
        items.push({ label: _("Remove from the meeting"), danger: true, run: () => send({ type: "mod.remove", target: current.id, ban: false }) });
        items.push({ label: _("Remove and ban"), danger: true, run: () => send({ type: "mod.remove", target: current.id, ban: true }) });
      }
      this.menus.openFor(button, _("Actions for %(name)s", { name: current.name }), items);
    });
    return button;
  }
}
