// What the meeting page knows of the meeting (the people, the chat, the locks), and how each
// numbered event from the server changes it. No page and no media here: meeting.js shows the
// result and tells the media what concerns them.

/**
 * One person in the meeting, as the server describes them (protocol in parley/meetings/).
 * @typedef {{ id: string, name: string, role: string, hand?: string | null, muted?: boolean, camera?: boolean, screen?: boolean, guest?: boolean }} Person
 */

/**
 * @typedef {object} MeetingState
 * @property {Person | null} you
 * @property {Map<string, Person>} participants
 * @property {object[]} chat
 * @property {Record<string, boolean>} locks
 */

/**
 * What one event changed: the new `participants`, `chat` or `locks` (only those that changed),
 * `you` when the event brought this page's own person, and `removed` when it removed them.
 * @typedef {object} Changes
 * @property {Map<string, Person>} [participants]
 * @property {object[]} [chat]
 * @property {Record<string, boolean>} [locks]
 * @property {Person} [you]
 * @property {{ ban: boolean }} [removed]
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
      const participants = new Map(state.participants);
      participants.delete(data.id);
      if (event.kind === "removed" && isYou) return { participants, removed: { ban: Boolean(data.ban) } };
      return { participants };
    }
    case "chat":
      return { chat: [...state.chat, data] };
    case "chat.cleared":
      return { chat: [] };
    case "locks":
      return { locks: data };
    case "hands.lowered":
      return { participants: new Map([...state.participants].map(([id, person]) => [id, { ...person, hand: null }])) };
    default:
      return {};
  }
}
