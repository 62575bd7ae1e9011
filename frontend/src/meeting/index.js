// The meeting page: the protocol client (./client.js) keeps the state; this file shows it
// (top line, stage, control bar, side panel, menus) and passes to the media, the polls and the
// shared video what concerns them. The parts talk through the client's events and explicit
// page events (`parley:joined`, `parley:content`), never by watching each other's DOM.
import { _ } from "../i18n.js";
import { element } from "../dom.js";
import { Media } from "../media/index.js";
import { Polls } from "../polls.js";
import { SharedVideo } from "../video.js";
import { Chat } from "./chat.js";
import { MeetingClient } from "./client.js";
import { Menus } from "./menus.js";
import { PeopleList } from "./people.js";
import { Announcer, Clock, Panel, Quality, Shortcuts } from "./shell.js";

const NOTICE_MS = 6000;

// A line over the stage for a while: a problem (read out at once), or news about the meeting
// or oneself ("info", read out when the screen reader is free).
const noticeTimers = {};
function notice(text, tone = "error") {
  const id = tone === "info" ? "meeting-info" : "meeting-notice";
  const box = document.getElementById(id);
  box.textContent = text;
  box.hidden = false;
  clearTimeout(noticeTimers[id]);
  noticeTimers[id] = setTimeout(() => (box.hidden = true), NOTICE_MS);
}

// Work for the screen waits for the next frame, once however many events came in between.
// A tab in the background has no frames: there it runs after a short delay instead (the
// media must still connect to people who arrive while nobody looks).
function batched(draw) {
  let pending = false;
  const run = () => {
    if (!pending) return;
    pending = false;
    draw();
  };
  return () => {
    if (pending) return;
    pending = true;
    if (document.hidden) setTimeout(run, 100);
    else {
      requestAnimationFrame(run);
      setTimeout(run, 500); // whichever comes first (a tab hidden meanwhile)
    }
  };
}

export async function initialize() {
  const root = /** @type {HTMLElement} */ (document.querySelector('[data-mode="meeting"]'));
  if (!root) return;
  const client = new MeetingClient(root.dataset.liveUrl);
  const send = (message) => client.send(message);
  const menus = new Menus();
  const people = new PeopleList({ client, menus });
  const chat = new Chat({ client });
  const announcer = new Announcer();
  const panel = new Panel({ onOpen: (name) => (name === "chat" ? chat.after() : undefined) });
  const media = new Media({ root, send, notice });
  window.parleyMedia = media; // to look at connections from the browser's console (and tests)
  const polls = new Polls({ send, isModerator: () => client.isModerator(), notice });
  // The shared video is driven by the presenter (the server refuses anyone else).
  const sharedVideo = new SharedVideo({ send, you: () => client.state.you, isModerator: () => client.isPresenter(), notice });
  new Clock(root.dataset.openedAt);
  const quality = new Quality();
  client.addEventListener("rtt", (event) => quality.rtt(/** @type {CustomEvent} */ (event).detail));

  const drawPeople = batched(() => {
    people.render();
    chat.renderRecipients();
  });
  const everyone = () => [...client.state.participants.values()];
  // The media follow who is here once a frame too (connections, tiles), not once an event.
  const syncMedia = batched(() => media.participants(everyone()));

  function renderYou() {
    const me = client.me();
    if (!me) return;
    const moderator = client.isModerator();
    document.getElementById("my-role").textContent = me.presenter ? _("Presenter") : moderator ? _("Moderator") : _("Participant");
    for (const node of /** @type {NodeListOf<HTMLElement>} */ (document.querySelectorAll("[data-moderator-only]"))) node.hidden = !moderator;
    document.querySelector("[data-presenter-menu]").toggleAttribute("hidden", !(moderator || me.presenter));
    for (const id of ["show-whiteboard", "share-video"]) document.getElementById(id).hidden = !me.presenter;
    const hand = document.getElementById("hand-button");
    hand.setAttribute("aria-pressed", me.hand ? "true" : "false");
    hand.querySelector(".control-label").textContent = hand.title = me.hand ? _("Lower my hand") : _("Raise my hand");
  }

  function renderLocks() {
    const locks = client.state.locks || {};
    for (const item of /** @type {NodeListOf<HTMLElement>} */ (document.querySelectorAll("[data-lock]"))) item.setAttribute("aria-checked", String(Boolean(locks[item.dataset.lock])));
    const names = { chat: _("Public chat"), private_chat: _("Private chat"), microphone: _("Microphones"), camera: _("Cameras"), screen: _("Screen sharing") };
    const locked = Object.keys(names).filter((name) => locks[name]);
    const indicator = document.getElementById("locked-indicator");
    indicator.hidden = locked.length === 0;
    indicator.title = _("Locked for participants: %(what)s", { what: locked.map((name) => names[name]).join(", ") });
    chat.renderLocks();
  }

  function renderLayout() {
    const pushed = client.state.layout || "";
    for (const item of /** @type {NodeListOf<HTMLElement>} */ (document.querySelectorAll("[data-push-layout]"))) item.setAttribute("aria-checked", String(item.dataset.pushLayout === pushed));
    for (const item of /** @type {NodeListOf<HTMLElement>} */ (document.querySelectorAll("[data-layout-choice]"))) item.setAttribute("aria-checked", String(item.dataset.layoutChoice === media.layoutChoice));
  }

  function chooseLayout(choice) {
    media.setLayout(choice);
    renderLayout();
  }

  function ended(title, text) {
    client.stop();
    media.leave();
    document.getElementById("ended-title").textContent = title;
    document.getElementById("ended-text").textContent = text;
    document.getElementById("meeting-ended").hidden = false;
    document.getElementById("connection-status").hidden = true;
  }

  let presenting = false;
  // What the server says, to the screen.
  client.addEventListener("welcome", (event) => {
    const message = /** @type {CustomEvent} */ (event).detail;
    presenting = Boolean(message.you.presenter);
    renderYou();
    people.render();
    chat.renderRecipients();
    chat.reset();
    renderLocks();
    if (client.state.layout) chooseLayout(client.state.layout);
    renderLayout();
    media.webinar = client.state.webinar;
    media.welcome(client.state.you, everyone(), client.state.locks, message.media);
    polls.snapshot(message);
    document.getElementById("polls-empty").hidden = Boolean(message.poll);
    // A poll waiting for this person's answer is where they look (after a reload too).
    if (message.poll && message.poll.state === "open" && !message.poll.answered && !client.isModerator()) panel.open("polls");
    sharedVideo.snapshot(message);
  });
  client.addEventListener("change", (event) => {
    const { event: change, changes, you, gone } = /** @type {CustomEvent} */ (event).detail;
    const data = change.data || {};
    if (you) media.youUpdated(you);
    if (changes.participants) {
      syncMedia();
      drawPeople();
    }
    if (you || change.kind === "updated") renderYou();
    if (changes.locks) {
      media.locksChanged(changes.locks);
      renderLocks();
      announcer.say(_("A moderator changed what participants may do."));
    }
    if ("layout" in changes) {
      if (changes.layout) chooseLayout(changes.layout);
      renderLayout();
    }
    if ("count" in changes) drawPeople();
    switch (change.kind) {
      case "chat":
        chat.append(data);
        if (!client.state.you || data.from !== client.state.you.id) {
          panel.unread("chat");
          announcer.say(_("%(name)s writes: %(text)s", { name: data.from_name, text: data.text.slice(0, 140) }));
        }
        break;
      case "chat.cleared":
        chat.reset();
        break;
      case "joined":
        announcer.joined(data.name);
        break;
      case "left":
        if (gone) announcer.left(gone.name);
        break;
      case "removed":
        if (gone && gone.id !== (client.state.you && client.state.you.id)) announcer.say(_("A moderator removed %(name)s.", { name: gone.name }));
        break;
      case "updated":
        if (data.hand && !you) announcer.say(_("%(name)s raised their hand.", { name: data.name }));
        if (you && data.by) announcer.say(_("A moderator muted you."));
        if (you && data.presenter !== presenting) {
          presenting = Boolean(data.presenter);
          notice(presenting ? _("You are the presenter now: the slides, the whiteboard and shared videos are yours to show.") : _("Someone else presents now."), "info");
        }
        break;
      case "hands.lowered":
        announcer.say(_("A moderator lowered every hand."));
        break;
      case "video":
        sharedVideo.update(data.video || null);
        break;
      case "media":
        media.mediaMoved(data);
        break;
      default:
        if (change.kind.startsWith("poll.")) {
          polls.event(change.kind, data);
          if (change.kind === "poll.started") {
            panel.unread("polls");
            announcer.say(_("A poll started: %(question)s", { question: data.question }));
            // People answer where they see it: the Polls tab opens for them.
            if (!client.isModerator()) panel.open("polls");
          }
          document.getElementById("polls-empty").hidden = true;
        }
    }
  });
  client.addEventListener("signal", (event) => media.signal(/** @type {CustomEvent} */ (event).detail));
  client.addEventListener("reaction", (event) => {
    const { from, emoji } = /** @type {CustomEvent} */ (event).detail;
    media.showReaction(client.state.participants.get(from), emoji);
  });
  let waitingBefore = 0;
  client.addEventListener("waiting", () => {
    renderWaiting(client);
    const count = client.state.waiting.length;
    const more = count > waitingBefore;
    waitingBefore = count;
    if (client.isModerator() && more) {
      // Someone knocks: the moderator sees them at once, with Admit and Refuse.
      panel.open("participants");
      announcer.say(_("%(count)s waiting to be let in.", { count: client.state.waiting.length }));
    }
  });
  client.addEventListener("error", (event) => {
    const message = /** @type {CustomEvent} */ (event).detail;
    if (message.code === "locked") media.refused();
    if (message.code === "bad_video") sharedVideo.refused(message.message);
    else notice(message.message);
  });
  client.addEventListener("ended", (event) => {
    const { reason, ban, message } = /** @type {CustomEvent} */ (event).detail;
    if (reason === "removed") ended(_("You were removed from the meeting."), ban ? _("A moderator removed you; you cannot come back to this meeting.") : _("A moderator removed you."));
    else if (reason === "closed") ended(_("The meeting has ended."), _("A moderator closed the room."));
    else ended(_("You are not in this meeting."), message);
  });
  client.addEventListener("superseded", () => {
    media.release();
    document.getElementById("meeting-superseded").hidden = false;
  });
  client.addEventListener("outdated", () => location.reload());
  client.addEventListener("reconnected", () => media.reconnected());
  client.addEventListener("status", (event) => {
    const status = /** @type {CustomEvent} */ (event).detail;
    const box = document.getElementById("connection-status");
    box.hidden = status === "connected";
    box.textContent = status === "connected" ? "" : _("Reconnecting…");
    quality.status(status);
  });

  // The controls.
  document.getElementById("hand-button").addEventListener("click", () => {
    const me = client.me();
    send({ type: me && me.hand ? "hand.lower" : "hand.raise" });
  });
  for (const button of /** @type {NodeListOf<HTMLElement>} */ (document.querySelectorAll("[data-reaction]"))) {
    button.addEventListener("click", () => {
      send({ type: "reaction", emoji: button.dataset.reaction });
      document.getElementById("reactions-menu").hidePopover();
    });
  }
  const moderation = { "mute-all": { type: "mod.mute_all" }, "lower-hands": { type: "mod.lower_hands" } };
  for (const [id, message] of Object.entries(moderation)) document.getElementById(id).addEventListener("click", () => send(message));
  document.getElementById("end-meeting").addEventListener("click", () => {
    if (window.confirm(_("End the meeting for everyone?"))) send({ type: "mod.end" });
  });
  for (const item of /** @type {NodeListOf<HTMLElement>} */ (document.querySelectorAll("[data-lock]"))) {
    item.addEventListener("click", () => send({ type: "mod.lock", [item.dataset.lock]: item.getAttribute("aria-checked") !== "true" }));
  }
  for (const item of /** @type {NodeListOf<HTMLElement>} */ (document.querySelectorAll("[data-push-layout]"))) {
    item.addEventListener("click", () => send({ type: "mod.layout", layout: item.dataset.pushLayout || null }));
  }
  for (const item of /** @type {NodeListOf<HTMLElement>} */ (document.querySelectorAll("[data-layout-choice]"))) {
    item.addEventListener("click", () => chooseLayout(item.dataset.layoutChoice));
  }
  document.getElementById("show-content").addEventListener("click", () => chooseLayout("presentation"));
  document.getElementById("screen-menu-button").addEventListener("click", () => document.getElementById("screen-button").click());
  const fullscreen = () => (document.fullscreenElement ? document.exitFullscreen() : root.requestFullscreen()).catch((problem) => notice(problem.message));
  document.getElementById("fullscreen-button").addEventListener("click", fullscreen);
  document.addEventListener("fullscreenchange", () => {
    document.getElementById("fullscreen-button").textContent = document.fullscreenElement ? _("Leave full screen") : _("Full screen");
  });
  const pip = document.getElementById("pip-button");
  pip.hidden = !document.pictureInPictureEnabled;
  pip.addEventListener("click", () => media.pictureInPicture().catch((problem) => notice(problem.message)));
  const pipChanged = () => (pip.textContent = document.pictureInPictureElement ? _("Leave picture in picture") : _("Picture in picture"));
  document.addEventListener("enterpictureinpicture", pipChanged, true);
  document.addEventListener("leavepictureinpicture", pipChanged, true);
  const documents = /** @type {HTMLDialogElement} */ (document.getElementById("documents-dialog"));
  document.getElementById("documents-button").addEventListener("click", () => documents.showModal());
  document.getElementById("documents-close").addEventListener("click", () => documents.close());
  const help = /** @type {HTMLDialogElement} */ (document.getElementById("shortcuts-dialog"));
  document.getElementById("shortcuts-button").addEventListener("click", () => help.showModal());
  document.getElementById("shortcuts-close").addEventListener("click", () => help.close());
  new Shortcuts({
    m: "mic-button",
    v: "camera-button",
    s: "screen-button",
    h: "hand-button",
    r: "react-button",
    p: () => panel.toggle("participants"),
    c: () => panel.toggle("chat"),
    n: () => panel.toggle("notes"),
    g: () => chooseLayout(media.nextLayout()),
    f: fullscreen,
    "?": () => help.showModal(),
    Escape: () => panel.close(),
  });

  document.getElementById("use-here").addEventListener("click", () => location.reload());
  document.querySelector('form[action$="/leave"]').addEventListener("submit", () => media.leave());
  // Nobody is in the meeting (nor in its list) before pressing Join on the pre-join screen.
  await media.prejoin();
  root.dataset.joined = "true";
  document.dispatchEvent(new CustomEvent("parley:joined"));
  if (window.matchMedia("(min-width: 1100px)").matches) panel.open("chat");
  client.start();
}

function renderWaiting(client) {
  const panel = document.getElementById("waiting-panel");
  const waiting = client.state.waiting;
  panel.hidden = !client.isModerator() || waiting.length === 0;
  document.getElementById("waiting-list").replaceChildren(
    ...waiting.map((person) => {
      const item = element("li", { className: "person" }, [element("span", { className: "person-name", text: person.name })]);
      if (person.guest) item.append(element("span", { className: "role-chip", text: _("Guest") }));
      const actions = element("span", { className: "person-actions" });
      for (const [type, label, style] of [["mod.admit", _("Admit"), "primary"], ["mod.refuse", _("Refuse"), "danger"]]) {
        const button = element("button", { className: `button small ${style}`, text: label, attrs: { type: "button", "aria-label": `${label}: ${person.name}` } });
        button.addEventListener("click", () => {
          button.disabled = true;
          client.send({ type, entry: person.id });
        });
        actions.append(button);
      }
      item.append(actions);
      return item;
    }),
  );
}
