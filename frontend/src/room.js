// The pages outside a meeting: "not open yet" and the waiting room enter by themselves.
import { connect } from "./live.js";

function submitJoin() {
  const form = /** @type {HTMLFormElement} */ (document.getElementById("join-form"));
  if (form) form.submit();
  else location.reload();
}

export function initialize() {
  const root = /** @type {HTMLElement} */ (document.querySelector("[data-live-url]"));
  if (!root || !["closed", "waiting"].includes(root.dataset.mode)) return;
  const connection = connect(root.dataset.liveUrl, {
    onMessage: (message) => {
      if (message.type === "opened" || message.type === "admitted") {
        connection.stop();
        submitJoin();
      } else if (message.type === "refused" || message.type === "closed") {
        connection.stop();
        location.reload();
      }
    },
  });
}
