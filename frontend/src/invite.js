// The meeting's "Invite people" dialog: ring members, email guests, or open a mail program.
import { apiFetch } from "./csrf.js";
import { _ } from "./i18n.js";

function stateText(state) {
  const texts = {
    ringing: _("Ringing…"),
    accepted: _("Accepted"),
    declined: _("Declined"),
    missed: _("No answer"),
    cancelled: _("Cancelled"),
  };
  return texts[state] || state;
}
const PRESENCE_LABELS = { online: "Online", meeting: "In a meeting", busy: "Do not disturb", offline: "Offline" };

export function initialize() {
  const dialog = /** @type {HTMLDialogElement} */ (document.getElementById("invite-dialog"));
  const button = document.getElementById("invite-button");
  if (!dialog || !button) return;
  const slug = dialog.dataset.slug;
  const list = document.getElementById("invite-list");
  const search = /** @type {HTMLInputElement} */ (document.getElementById("invite-search"));
  const states = new Map();
  let searchTimer = null;

  button.addEventListener("click", () => {
    dialog.showModal();
    load("");
    search.focus();
  });
  document.getElementById("invite-close").addEventListener("click", () => dialog.close());
  search.addEventListener("input", () => {
    clearTimeout(searchTimer);
    searchTimer = setTimeout(() => load(search.value), 200);
  });

  async function load(query) {
    const response = await apiFetch(`/api/v1/people?q=${encodeURIComponent(query.slice(0, 100))}`);
    if (!response.ok) return;
    const me = Number(document.getElementById("ring-area")?.dataset.userId);
    const people = (await response.json()).filter((person) => person.id !== me);
    list.innerHTML = "";
    if (!people.length) {
      const empty = document.createElement("li");
      empty.className = "muted";
      empty.textContent = _("Nobody matches this search.");
      list.append(empty);
    }
    for (const person of people) list.append(row(person));
    window.parleyPeople?.watch(people.map((person) => person.id));
  }

  function row(person) {
    const item = document.createElement("li");
    item.className = "invite-item";
    item.dataset.user = person.id;
    const dot = document.createElement("span");
    dot.className = `presence presence-${person.presence}`;
    dot.dataset.presence = person.id;
    dot.setAttribute("role", "img");
    dot.setAttribute("aria-label", _(PRESENCE_LABELS[person.presence]));
    dot.title = _(PRESENCE_LABELS[person.presence]);
    const who = document.createElement("span");
    who.className = "member-who";
    const name = document.createElement("strong");
    name.textContent = person.display_name;
    const email = document.createElement("span");
    email.className = "muted member-email";
    email.textContent = person.email;
    who.append(name, email);
    const state = document.createElement("span");
    state.className = "invite-state";
    state.textContent = states.has(person.id) ? stateText(states.get(person.id)) : "";
    const invite = document.createElement("button");
    invite.type = "button";
    invite.className = "button small";
    invite.textContent = _("Invite");
    invite.setAttribute("aria-label", _("Invite %(name)s", { name: person.display_name }));
    invite.disabled = !person.allow_calls;
    if (!person.allow_calls) invite.title = _("%(name)s does not take calls.", { name: person.display_name });
    invite.addEventListener("click", async () => {
      invite.disabled = true;
      const response = await apiFetch(`/api/v1/rooms/${slug}/invitations`, { method: "POST", body: { user_id: person.id } });
      invite.disabled = false;
      if (response.ok) {
        states.set(person.id, "ringing");
        state.textContent = stateText("ringing");
      } else {
        const body = await response.json().catch(() => ({}));
        state.textContent = body.detail || _("Something went wrong on our side. Please try again.");
      }
    });
    item.append(dot, who, state, invite);
    return item;
  }

  document.addEventListener("parley:invitation", (event) => {
    const invitation = /** @type {CustomEvent} */ (event).detail;
    if (invitation.kind !== "invite" || invitation.room.slug !== slug) return;
    states.set(invitation.to.id, invitation.state);
    const state = list.querySelector(`[data-user="${invitation.to.id}"] .invite-state`);
    if (state) state.textContent = stateText(invitation.state);
  });

  // Guests: by the server's email, or by the person's own mail program.
  const form = document.getElementById("invite-email-form");
  const emails = /** @type {HTMLInputElement} */ (document.getElementById("invite-emails"));
  const message = /** @type {HTMLTextAreaElement} */ (document.getElementById("invite-message"));
  const result = document.getElementById("invite-email-result");
  const mailto = /** @type {HTMLAnchorElement} */ (document.getElementById("invite-mailto"));
  const addresses = () => emails.value.split(/[\s,;]+/).map((part) => part.trim()).filter(Boolean);

  function refreshMailto() {
    const subject = _("Invitation to the meeting “%(room)s”", { room: dialog.dataset.roomName });
    const lines = [
      _("Join the meeting “%(room)s” on Parley:", { room: dialog.dataset.roomName }),
      dialog.dataset.link,
      "",
      _("Open the link in your browser, type your name and press Join."),
    ];
    if (message.value.trim()) lines.unshift(message.value.trim(), "");
    const to = addresses().join(",");
    mailto.href = `mailto:${encodeURIComponent(to).replace(/%2C/g, ",").replace(/%40/g, "@")}?subject=${encodeURIComponent(subject)}&body=${encodeURIComponent(lines.join("\n"))}`;
  }
  emails.addEventListener("input", refreshMailto);
  message.addEventListener("input", refreshMailto);
  refreshMailto();

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const list = addresses();
    result.hidden = false;
    if (!list.length) {
      result.className = "alert error";
      result.textContent = _("Type at least one email address.");
      return;
    }
    const response = await apiFetch(`/api/v1/rooms/${slug}/email-invitations`, {
      method: "POST",
      body: { emails: list, message: message.value },
    });
    const body = await response.json().catch(() => ({}));
    if (response.ok) {
      result.className = "alert success";
      result.textContent = _("Invitation sent to %(count)s addresses.", { count: body.queued });
      emails.value = "";
      refreshMailto();
    } else {
      result.className = "alert error";
      const bad = (body.errors || []).find((error) => error.loc && error.loc[1] === "emails");
      result.textContent = bad ? _("One of the addresses is not valid: check it.") : body.detail || _("Something went wrong on our side. Please try again.");
    }
  });
}
