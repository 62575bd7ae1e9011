// Times are sent in UTC; each person reads them in their own time zone and language.
export function initialize() {
  const language = document.documentElement.lang || undefined;
  const format = new Intl.DateTimeFormat(language, { dateStyle: "full", timeStyle: "short" });
  document.querySelectorAll("time[data-local-time]").forEach((node) => {
    const moment = new Date(node.getAttribute("datetime"));
    if (!Number.isNaN(moment.getTime())) node.textContent = format.format(moment);
  });
  // Forms with a day and an hour: the hour is the person's, in the zone their browser uses.
  const zone = Intl.DateTimeFormat().resolvedOptions().timeZone || "UTC";
  /** @type {NodeListOf<HTMLInputElement>} */ (document.querySelectorAll("input[data-browser-timezone]")).forEach((input) => {
    const form = input.form;
    if (!form) return;
    const day = /** @type {HTMLInputElement} */ (form.querySelector('input[name="day"]'));
    const start = /** @type {HTMLInputElement} */ (form.querySelector('input[name="start"]'));
    // A session's stored time (UTC) shown in the browser's zone before it is edited.
    if (input.value === "UTC" && zone !== "UTC" && day && start && day.value && start.value) {
      const moment = new Date(`${day.value}T${start.value}:00Z`);
      const parts = Object.fromEntries(
        new Intl.DateTimeFormat("en-CA", { timeZone: zone, year: "numeric", month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit", hourCycle: "h23" })
          .formatToParts(moment)
          .map((part) => [part.type, part.value]),
      );
      day.value = `${parts.year}-${parts.month}-${parts.day}`;
      start.value = `${parts.hour}:${parts.minute}`;
    }
    input.value = zone;
    const hint = start && start.closest(".field") && start.closest(".field").querySelector(".hint");
    if (hint) hint.textContent = hint.textContent.replace(/UTC$/, zone);
  });
}
