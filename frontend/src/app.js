// Entry point of every page: htmx with the CSRF header, and the small shared behaviours.
import htmx from "htmx.org";
import { csrfToken } from "./csrf.js";
import { initialize as initializeCalendar } from "./calendar.js";
import { initialize as initializeCopy } from "./copy.js";
import { initialize as initializeInvite } from "./invite.js";
import { initialize as initializeLocalTime } from "./localtime.js";
import { initialize as initializeMeeting } from "./meeting/index.js";
import { initialize as initializeNotes } from "./notes.js";
import { initialize as initializeNotify } from "./notify.js";
import { initialize as initializeRoom } from "./room.js";

window.htmx = htmx;

document.addEventListener("htmx:configRequest", (event) => {
  /** @type {CustomEvent} */ (event).detail.headers["X-CSRF-Token"] = csrfToken();
});

// Forms marked `data-confirm` ask before they are sent (for deleting, closing…).
document.addEventListener("submit", (event) => {
  const form = /** @type {HTMLFormElement} */ (event.target);
  const question = form.dataset && form.dataset.confirm;
  if (question && !window.confirm(question)) event.preventDefault();
});

initializeCopy();
initializeRoom();
initializeMeeting();
initializeNotify();
initializeInvite();
initializeLocalTime();
initializeCalendar();
initializeNotes();
