// Polls on the meeting page: the moderator's form and live results, the voters' pop-in,
// and the published results everyone sees (messages in parley/meetings/protocol.py).
import { _ } from "./i18n.js";
import { element } from "./dom.js";

const PRESETS = {
  "yes-no": () => [_("Yes"), _("No")],
  "yes-no-abstain": () => [_("Yes"), _("No"), _("Abstain")],
  "true-false": () => [_("True"), _("False")],
  abcd: () => ["A", "B", "C", "D"],
};

// Bars with counts and percentages (of the people who answered).
function bars(poll, results) {
  const list = element("ul", { className: "poll-bars" });
  const voters = results.voters || 0;
  poll.options.forEach((option, index) => {
    const count = results.counts[index] || 0;
    const percent = voters ? Math.round((100 * count) / voters) : 0;
    const item = element("li");
    const label = element("span", { className: "poll-bar-label", text: option });
    const figure = element("span", { className: "poll-bar-figure", text: `${count} · ${percent} %` });
    const track = element("span", { className: "poll-bar-track" });
    const fill = element("span", { className: "poll-bar-fill" });
    fill.style.width = `${percent}%`;
    track.append(fill);
    item.append(label, figure, track);
    list.append(item);
  });
  const wrapper = element("div");
  wrapper.append(list);
  if (results.texts && results.texts.length) {
    const texts = element("ul", { className: "poll-texts" });
    for (const text of results.texts) texts.append(element("li", { text }));
    wrapper.append(texts);
  }
  wrapper.append(element("p", { className: "muted", text: _("%(count)s answered", { count: voters }) }));
  return wrapper;
}

export class Polls {
  constructor({ send, isModerator, notice }) {
    this.send = send;
    this.isModerator = isModerator;
    this.notice = notice;
    this.poll = null; // the open poll, or the last closed one still shown
    this.results = null;
    this.answered = false;
    this.dismissed = false;
    this.wire();
  }

  wire() {
    const dialog = /** @type {HTMLDialogElement} */ (document.getElementById("poll-dialog"));
    const type = /** @type {HTMLSelectElement} */ (document.getElementById("poll-type"));
    const custom = document.getElementById("poll-custom");
    const multiple = /** @type {HTMLInputElement} */ (document.getElementById("poll-multiple"));
    const sync = () => {
      custom.hidden = type.value !== "custom";
      multiple.disabled = type.value === "text";
      if (multiple.disabled) multiple.checked = false;
    };
    type.addEventListener("change", sync);
    document.getElementById("start-poll").addEventListener("click", () => {
      document.getElementById("poll-error").hidden = true;
      sync();
      dialog.showModal();
    });
    document.getElementById("poll-cancel").addEventListener("click", () => dialog.close());
    document.getElementById("poll-form").addEventListener("submit", (event) => {
      const question = /** @type {HTMLInputElement} */ (document.getElementById("poll-question")).value.trim();
      let options = [];
      if (type.value === "custom") {
        options = /** @type {HTMLTextAreaElement} */ (document.getElementById("poll-options")).value.split("\n").map((line) => line.trim()).filter(Boolean);
      } else if (PRESETS[type.value]) {
        options = PRESETS[type.value]();
      }
      const problem = !question
        ? _("Write the question.")
        : type.value === "custom" && (options.length < 2 || options.length > 10)
          ? _("Give between 2 and 10 answers, one per line.")
          : null;
      if (problem) {
        event.preventDefault();
        const box = document.getElementById("poll-error");
        box.textContent = problem;
        box.hidden = false;
        return;
      }
      this.send({
        type: "poll.start",
        question,
        kind: type.value === "text" ? "text" : "choice",
        options,
        multiple: multiple.checked,
        anonymous: /** @type {HTMLInputElement} */ (document.getElementById("poll-anonymous")).checked,
        members_only: /** @type {HTMLInputElement} */ (document.getElementById("poll-members-only")).checked,
      });
      /** @type {HTMLInputElement} */ (document.getElementById("poll-question")).value = "";
    });
    document.getElementById("poll-answer").addEventListener("submit", (event) => {
      event.preventDefault();
      const form = /** @type {HTMLFormElement} */ (event.target);
      if (!this.poll) return;
      if (this.poll.kind === "text") {
        const text = form.querySelector("textarea").value.trim();
        if (!text) return;
        this.send({ type: "poll.answer", poll: this.poll.id, text });
      } else {
        const choices = [.../** @type {NodeListOf<HTMLInputElement>} */ (form.querySelectorAll("input:checked"))].map((input) => Number(input.value));
        if (!choices.length) {
          this.notice(_("Pick one of the answers."));
          return;
        }
        this.send({ type: "poll.answer", poll: this.poll.id, choices });
      }
    });
    document.getElementById("poll-publish").addEventListener("click", () => this.send({ type: "poll.close", poll: this.poll.id, publish: true }));
    document.getElementById("poll-close").addEventListener("click", () => this.send({ type: "poll.close", poll: this.poll.id, publish: false }));
    document.getElementById("poll-dismiss").addEventListener("click", () => {
      this.dismissed = true;
      this.render();
    });
  }

  snapshot(message) {
    this.poll = message.poll || null;
    this.answered = Boolean(this.poll && this.poll.answered);
    this.results = message.poll_results || null;
    this.dismissed = false;
    this.render();
  }

  event(kind, data) {
    if (kind === "poll.started") {
      this.poll = data;
      this.answered = false;
      this.results = null;
      this.dismissed = false;
    } else if (kind === "poll.answered" && this.poll && data.poll === this.poll.id) {
      this.answered = true;
    } else if (kind === "poll.results" && this.poll && data.poll === this.poll.id) {
      this.results = data;
    } else if (kind === "poll.closed") {
      this.poll = data.poll;
      this.results = data.results || (this.isModerator() ? this.results : null);
      this.dismissed = !data.results && !this.isModerator();
    } else {
      return;
    }
    this.render();
  }

  render() {
    const card = document.getElementById("poll-card");
    const poll = this.poll;
    card.hidden = !poll || this.dismissed;
    if (card.hidden) return;
    const open = poll.state === "open";
    const moderator = this.isModerator();
    document.getElementById("poll-card-title").textContent = poll.question;
    const meta = [open ? _("Poll by %(name)s", { name: poll.by }) : poll.state === "published" ? _("Results") : _("Closed, results not published")];
    if (poll.anonymous) meta.push(_("anonymous"));
    if (poll.multiple) meta.push(_("several answers allowed"));
    if (poll.members_only) meta.push(_("members only"));
    document.getElementById("poll-card-meta").textContent = meta.join(" · ");

    const form = document.getElementById("poll-answer");
    const voting = open && !this.answered;
    form.hidden = !voting;
    if (voting && form.dataset.poll !== String(poll.id)) {
      form.dataset.poll = String(poll.id);
      form.replaceChildren();
      if (poll.kind === "text") {
        const label = element("label", { className: "visually-hidden", text: _("Your answer") });
        label.htmlFor = "poll-text";
        const area = element("textarea");
        area.id = "poll-text";
        area.maxLength = 500;
        area.rows = 3;
        form.append(label, area);
      } else {
        const group = element("fieldset", { className: "poll-options" });
        group.append(element("legend", { className: "visually-hidden", text: poll.question }));
        poll.options.forEach((option, index) => {
          const label = element("label", { className: "check-row" });
          const input = element("input");
          input.type = poll.multiple ? "checkbox" : "radio";
          input.name = `poll-${poll.id}`;
          input.value = String(index);
          label.append(input, document.createTextNode(` ${option}`));
          group.append(label);
        });
        form.append(group);
      }
      const submit = element("button", { className: "button primary", text: _("Send my answer") });
      submit.type = "submit";
      form.append(submit);
    }
    document.getElementById("poll-thanks").hidden = !(open && this.answered);
    const results = document.getElementById("poll-results");
    results.replaceChildren(...(this.results && (moderator || !open) ? [bars(poll, this.results)] : []));
    document.getElementById("poll-moderation").hidden = !moderator || poll.state === "published";
    document.getElementById("poll-close").hidden = !open;
    document.getElementById("poll-dismiss").hidden = open;
  }
}
