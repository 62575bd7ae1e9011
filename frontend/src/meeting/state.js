// What the meeting page knows of the meeting (the people, the chat, the locks, the layout a
// moderator set), and how each numbered event from the server changes it. No page and no
// media here: ./client.js keeps the state, ./index.js shows it and tells the media.

/**
 * One person in the meeting, as the server describes them (protocol in parley/meetings/).
 * @typedef {{ id: string, name: string, role: string, hand?: string | null, muted?: boolean, camera?: boolean, screen?: boolean, guest?: boolean, presenter?: boolean, stage?: boolean }} Person
 */

/**
 * @typedef {object} MeetingState
 * @property {Person | null} you
 * @property {Map<string, Person>} participants
 * @property {object[]} chat
 * @property {Record<string, boolean>} locks
 * @property {string | null} [layout] the layout a moderator set for everyone
 * @property {number} [count] how many people are in the meeting (a webinar's audience included)
 */

/**
 * What one event changed: the new `participants`, `chat` or `locks` (only those that changed),
 * `you` when the event brought this page's own person, `removed` when it removed them, and
 * `gone`: the person who left or was removed, as the list had them (to say who it was).
 * @typedef {object} Changes
 * @property {Map<string, Person>} [participants]
 * @property {object[]} [chat]
 * @property {Record<string, boolean>} [locks]
 * @property {string | null} [layout]
 * @property {number} [count]
 * @property {Person} [you]
 * @property {{ ban: boolean }} [removed]
 * @property {Person} [gone]
 */

/**
 * The changes one numbered event makes; `state` itself is left as it is. Events that change
 * none of this (polls, the shared video, media moves) give no change.
 * @param {MeetingState} state
 * @param {{ kind: string, data?: any }} event
 * @returns {Changes}
 */
export function reduce(state, event) {
  const data = event.data || {};
  const isYou = Boolean(state.you) && data.id === state.you.id;
  switch (event.kind) {
    case "joined":
    case "updated": {
      const participants = new Map(state.participants).set(data.id, data);
      return isYou ? { participants, you: data } : { participants };
    }
    case "left":
    case "removed": {
      const gone = state.participants.get(data.id);
      if (!gone) return {};
      const participants = new Map(state.participants);
      participants.delete(data.id);
      if (event.kind === "removed" && isYou) return { participants, gone, removed: { ban: Boolean(data.ban) } };
      return { participants, gone };
    }
    case "chat":
      return { chat: [...state.chat, data] };
    case "chat.cleared":
      return { chat: [] };
    case "locks":
      return { locks: data };
    case "layout":
      return { layout: data.layout || null };
    case "audience":
      return { count: data.count };
    case "hands.lowered":
      return { participants: new Map([...state.participants].map(([id, person]) => [id, { ...person, hand: null }])) };
    default:
      return {};
  }
}
