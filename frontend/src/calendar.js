// The calendar: the browser's time zone, the week grid, the details popup, and the event
// form (all day, repetition, attendees, and "Add a videoconference").
import { apiFetch } from "./csrf.js";
import { _ } from "./i18n.js";

const ZONE_COOKIE = "parley_tz";
const MINUTES_PER_DAY = 24 * 60;
// The week view opens at this hour unless an event starts earlier.
const FIRST_HOUR_SHOWN = 7;

function browserZone() {
  try {
    return Intl.DateTimeFormat().resolvedOptions().timeZone || "UTC";
  } catch {
    return "UTC";
  }
}

function cookieZone() {
  const match = document.cookie.match(/(?:^|;\s*)parley_tz=([^;]+)/);
  return match ? match[1] : "";
}

// Pages show times in the zone this cookie names: keep it the browser's.
function rememberZone() {
  const zone = browserZone();
  if (cookieZone() === zone) return false;
  // Zone names are plain cookie characters (letters, digits, "/", "_", "+", "-").
  document.cookie = `${ZONE_COOKIE}=${zone}; path=/; max-age=31536000; SameSite=Lax`;
  return true;
}

function layoutWeek() {
  const body = document.getElementById("cal-week-body");
  if (!body) return;
  let earliest = FIRST_HOUR_SHOWN * 60;
  for (const segment of /** @type {NodeListOf<HTMLElement>} */ (body.querySelectorAll(".cal-segment"))) {
    const top = Number(segment.dataset.top);
    const bottom = Number(segment.dataset.bottom);
    const lane = Number(segment.dataset.lane);
    const lanes = Math.max(1, Number(segment.dataset.lanes));
    segment.style.top = `${(top / MINUTES_PER_DAY) * 100}%`;
    segment.style.height = `${((bottom - top) / MINUTES_PER_DAY) * 100}%`;
    segment.style.left = `${(lane / lanes) * 100}%`;
    segment.style.width = `${100 / lanes}%`;
    earliest = Math.min(earliest, top);
  }
  const day = body.querySelector(".cal-day");
  if (day) body.scrollTop = (day.scrollHeight * Math.max(0, earliest - 30)) / MINUTES_PER_DAY;
}

function setUpDetails() {
  const dialog = /** @type {HTMLDialogElement} */ (document.getElementById("event-dialog"));
  if (!dialog) return;
  const content = document.getElementById("event-dialog-body");
  document.addEventListener("click", async (event) => {
    const link = /** @type {HTMLAnchorElement | null} */ (/** @type {Element} */ (event.target).closest("a.cal-event[data-event]"));
    if (!link || event.ctrlKey || event.metaKey || event.shiftKey) return;
    event.preventDefault();
    const response = await fetch(`/calendar/events/${link.dataset.event}?popup=1`, { credentials: "same-origin" });
    if (!response.ok) {
      window.location.href = link.href;
      return;
    }
    content.innerHTML = await response.text();
    dialog.showModal();
    const close = /** @type {HTMLElement} */ (content.querySelector("[data-close-dialog]"));
    if (close) close.focus();
  });
  dialog.addEventListener("click", (event) => {
    if (event.target === dialog || /** @type {Element} */ (event.target).closest("[data-close-dialog]")) dialog.close();
  });
}

function toggle(element, shown) {
  if (element) element.hidden = !shown;
}

function setUpForm() {
  const form = document.getElementById("event-form");
  if (!form) return;
  const allDay = /** @type {HTMLInputElement} */ (document.getElementById("f-all_day"));
  const times = form.querySelectorAll(".time-input");
  const showTimes = () => times.forEach((element) => toggle(element, !allDay.checked));
  allDay.addEventListener("change", showTimes);
  showTimes();

  const repeat = /** @type {HTMLSelectElement} */ (document.getElementById("f-repeat"));
  const showRepeat = () => {
    const repeating = repeat.value !== "none";
    toggle(document.getElementById("repeat-more"), repeating);
    toggle(document.getElementById("repeat-ends"), repeating);
  };
  repeat.addEventListener("change", showRepeat);
  showRepeat();

  // Keep the end after the start when the start moves.
  const startDate = /** @type {HTMLInputElement} */ (document.getElementById("f-start_date"));
  const endDate = /** @type {HTMLInputElement} */ (document.getElementById("f-end_date"));
  startDate.addEventListener("change", () => {
    if (endDate.value && endDate.value < startDate.value) endDate.value = startDate.value;
  });

  // A new event starts in the browser's zone when the page did not know it yet.
  const zone = /** @type {HTMLSelectElement} */ (document.getElementById("f-timezone"));
  // (`form.action` is the button named "action": read the attribute.)
  if (!form.getAttribute("action").includes("/edit") && zone.value === "UTC") {
    const mine = browserZone();
    if ([...zone.options].some((option) => option.value === mine)) zone.value = mine;
  }

  setUpAttendees();
  setUpConference(form);
}

function setUpAttendees() {
  const picker = document.getElementById("attendee-picker");
  const input = /** @type {HTMLInputElement} */ (document.getElementById("f-member"));
  const list = /** @type {HTMLTextAreaElement} */ (document.getElementById("f-attendees"));
  const add = document.getElementById("attendee-add");
  if (!picker || !input || !list || !add) return;
  picker.hidden = false;
  const addTyped = () => {
    const address = input.value.trim();
    if (!address) return;
    const current = list.value.split(/[\s,;]+/).filter(Boolean);
    if (!current.includes(address)) current.push(address);
    list.value = current.join("\n");
    input.value = "";
    input.focus();
  };
  add.addEventListener("click", addTyped);
  input.addEventListener("keydown", (event) => {
    if (event.key === "Enter") {
      event.preventDefault();
      addTyped();
    }
  });
}

function setUpConference(form) {
  const addButton = document.getElementById("conference-add-button");
  const removeButton = document.getElementById("conference-remove");
  const hidden = /** @type {HTMLInputElement} */ (document.getElementById("f-conference_id"));
  const addPart = document.getElementById("conference-add");
  const busy = document.getElementById("conference-busy");
  const box = document.getElementById("conference-box");
  const error = document.getElementById("conference-error");
  const notice = document.getElementById("conference-notice");
  // Whether a link was shown on this page before: adding again makes a new one.
  let hadLink = Boolean(hidden.value);

  function say(element, text) {
    element.textContent = text;
    element.hidden = !text;
  }

  if (addButton) {
    addButton.addEventListener("click", async (event) => {
      event.preventDefault();
      const provider = /** @type {HTMLSelectElement} */ (document.getElementById("f-provider"));
      const allDay = /** @type {HTMLInputElement} */ (document.getElementById("f-all_day")).checked;
      const date = (id) => /** @type {HTMLInputElement} */ (document.getElementById(id)).value;
      const body = {
        provider: provider ? provider.value : null,
        title: date("f-title"),
        start: allDay ? "" : `${date("f-start_date")}T${date("f-start_time")}`,
        end: allDay ? "" : `${date("f-end_date")}T${date("f-end_time")}`,
        timezone: date("f-timezone"),
      };
      say(error, "");
      say(notice, "");
      addPart.hidden = true;
      busy.hidden = false;
      let response;
      try {
        response = await apiFetch("/api/v1/calendar/conferences", { method: "POST", body });
      } catch {
        response = null;
      }
      busy.hidden = true;
      if (!response || !response.ok) {
        const answer = response ? await response.json().catch(() => ({})) : {};
        say(error, answer.detail || _("The videoconference link could not be made. Please try again."));
        addPart.hidden = false;
        return;
      }
      const link = await response.json();
      hidden.value = String(link.id);
      /** @type {HTMLInputElement} */ (document.getElementById("conference-url")).value = link.url;
      /** @type {HTMLAnchorElement} */ (document.getElementById("conference-open")).href = link.url;
      document.getElementById("conference-provider").textContent = `· ${link.provider}`;
      say(document.getElementById("conference-text"), link.text);
      box.hidden = false;
      if (hadLink) say(notice, _("This is a new link. The previous one still works for anyone who has it."));
      hadLink = true;
      /** @type {HTMLElement} */ (box.querySelector("[data-copy]")).focus();
    });
  }
  if (removeButton) {
    removeButton.addEventListener("click", (event) => {
      event.preventDefault();
      hidden.value = "";
      box.hidden = true;
      addPart.hidden = false;
      say(error, "");
      say(notice, _("The videoconference is removed from this event when you save. Its link keeps working for anyone who has it."));
      if (addButton) addButton.focus();
    });
  }
  form.addEventListener("submit", (event) => {
    // The page's own buttons for links are handled above; Enter in a field saves.
    if (event.submitter && event.submitter.value !== "save" && event.submitter.name === "action") event.preventDefault();
  });
}

export function initialize() {
  const changed = rememberZone();
  const shown = document.getElementById("cal-zone");
  // The calendar was drawn in another zone than the browser's: draw it again, once.
  if (changed && shown && shown.dataset.zone !== browserZone() && !sessionStorage.getItem("parley-tz-reloaded")) {
    sessionStorage.setItem("parley-tz-reloaded", "1");
    window.location.reload();
    return;
  }
  layoutWeek();
  setUpDetails();
  setUpForm();
}
