// The meeting's protocol client: one socket to the room (parley/meetings/protocol.py), the
// state it keeps in step (./state.js), and events for whoever shows it. No DOM here.
//
//   const client = new MeetingClient(url);
//   client.addEventListener("change", (event) => show(event.detail));
//   client.start();
//
// Events (CustomEvent, details below): `welcome` (a snapshot replaced the state), `change`
// (one numbered event: {event, changes}), `signal`, `reaction`, `waiting`, `error`,
// `ended` ({reason, ban?}), `superseded`, `status` ("connected" | "reconnecting"), `rtt` (ms).
import { EVENT_KINDS } from "../generated/protocol.js";
import { connect } from "../live.js";
import { reduce } from "./state.js";

export const PROTOCOL_VERSION = 1;
const PING_MS = 10000;
// How long an event that came early waits for the ones before it.
const GAP_WAIT_MS = 500;

/** @typedef {import("./state.js").MeetingState & { last: number | null, waiting: object[], webinar: boolean }} ClientState */

export class MeetingClient extends EventTarget {
  /** @param {string} url the room's live socket path */
  constructor(url) {
    super();
    this.url = url;
    /** @type {ClientState} */
    this.state = { you: null, participants: new Map(), chat: [], locks: {}, layout: null, webinar: false, count: null, last: null, waiting: [] };
    this.socket = null;
    this.connections = 0;
    this.pingSent = 0;
    this.pinger = null;
    /** @type {Map<number, any>} events that came before one they follow */
    this.early = new Map();
    this.gapTimer = null;
  }

  /** @param {string} type @param {any} [detail] */
  emit(type, detail) {
    this.dispatchEvent(new CustomEvent(type, { detail }));
  }

  start() {
    this.socket = connect(this.url, {
      onOpen: () => {
        this.send({ type: "hello", last_event: this.state.last });
        this.connections += 1;
        this.emit("status", "connected");
        if (this.connections > 1) this.emit("reconnected");
      },
      onMessage: (message) => this.receive(message),
      onStatus: (status) => this.emit("status", status),
    });
    this.pinger = setInterval(() => {
      this.pingSent = performance.now();
      this.send({ type: "ping" });
    }, PING_MS);
  }

  askAgain() {
    this.gapTimer = null;
    if (!this.early.size) return;
    this.early.clear();
    this.send({ type: "hello", last_event: this.state.last });
  }

  stopWaiting() {
    clearTimeout(this.gapTimer);
    this.gapTimer = null;
  }

  stop() {
    clearInterval(this.pinger);
    if (this.socket) this.socket.stop();
  }

  send(message) {
    if (this.socket) this.socket.send(message);
  }

  isModerator() {
    return Boolean(this.state.you) && this.state.you.role === "moderator";
  }

  isPresenter() {
    return Boolean(this.state.you) && Boolean(this.state.you.presenter);
  }

  me() {
    const you = this.state.you;
    return you ? this.state.participants.get(you.id) || you : null;
  }

  receive(message) {
    const state = this.state;
    switch (message.type) {
      case "welcome":
        if (message.version !== PROTOCOL_VERSION) {
          this.emit("outdated");
          return;
        }
        state.you = message.you;
        state.participants = new Map(message.participants.map((p) => [p.id, p]));
        state.chat = message.chat;
        state.locks = message.locks;
        state.layout = message.layout || null;
        state.webinar = Boolean(message.webinar);
        state.count = message.count ?? null;
        state.last = message.last_event;
        this.early.clear();
        this.stopWaiting();
        this.emit("welcome", message);
        break;
      case "event":
        if (state.last !== null && message.id <= state.last) return;
        if (state.last !== null && message.id > state.last + 1) {
          // Events committed at the same moment can overtake each other on the way: keep this
          // one, wait a moment for the missing ones, and only then ask from the last one seen
          // (the server replays or sends a snapshot). One question per gap, not one per event.
          this.early.set(message.id, message);
          if (!this.gapTimer) this.gapTimer = setTimeout(() => this.askAgain(), GAP_WAIT_MS);
          return;
        }
        state.last = message.id;
        this.apply(message);
        while (this.early.has(state.last + 1)) {
          const next = this.early.get(state.last + 1);
          this.early.delete(next.id);
          state.last = next.id;
          this.apply(next);
        }
        for (const id of this.early.keys()) if (id <= state.last) this.early.delete(id);
        if (!this.early.size) this.stopWaiting();
        break;
      case "waiting":
        state.waiting = message.items || [];
        this.emit("waiting", state.waiting);
        break;
      case "error":
        if (["banned", "meeting_ended", "not_in_meeting"].includes(message.code)) this.emit("ended", { reason: "refused", message: message.message });
        else this.emit("error", message);
        break;
      case "closed":
        this.emit("ended", { reason: "closed" });
        break;
      case "superseded":
        this.stop();
        this.emit("superseded");
        break;
      case "pong":
        if (this.pingSent) this.emit("rtt", performance.now() - this.pingSent);
        this.pingSent = 0;
        break;
      case "signal":
      case "reaction":
        this.emit(message.type, message);
        break;
      default:
        break;
    }
  }

  apply(event) {
    const { you, removed, gone, ...changes } = reduce(this.state, event);
    Object.assign(this.state, changes);
    if (you) {
      // `by` belongs to this event only (who muted me), not to my state.
      const person = /** @type {Record<string, any>} */ ({ ...this.state.you, ...you });
      delete person.by;
      this.state.you = /** @type {import("./state.js").Person} */ (person);
    }
    if (!EVENT_KINDS.includes(event.kind)) console.warn("Unknown meeting event:", event.kind);
    this.emit("change", { event, changes, you, gone });
    if (removed) this.emit("ended", { reason: "removed", ban: removed.ban });
  }
}
