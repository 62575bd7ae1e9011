// The settings inside the meeting: change the camera, microphone and speaker without leaving
// (the tracks are replaced in place), see the camera and the microphone's level, hide or
// un-mirror my own video, and the data saver. The dialog's markup is
// rooms/_meeting_settings.html; the work is done by the Media object's methods.
import { _ } from "../i18n.js";
import { element } from "../dom.js";
import { meter } from "./local.js";

/** @param {string} id */
function byId(id) {
  return /** @type {HTMLElement} */ (document.getElementById(id));
}

export class SettingsDialog {
  constructor({ media }) {
    this.media = media;
    this.dialog = /** @type {HTMLDialogElement | null} */ (document.getElementById("settings-dialog"));
    media.applyView();
    if (!this.dialog) return;
    this.stopMeter = () => {};
    this.meteredTrack = null;
    this.camera = /** @type {HTMLSelectElement} */ (byId("settings-camera"));
    this.mic = /** @type {HTMLSelectElement} */ (byId("settings-mic"));
    this.speaker = /** @type {HTMLSelectElement} */ (byId("settings-speaker"));
    this.preview = /** @type {HTMLVideoElement} */ (byId("settings-preview"));
    this.level = /** @type {HTMLMeterElement} */ (byId("settings-mic-level"));
    this.selfView = /** @type {HTMLInputElement} */ (byId("settings-self-view"));
    this.mirror = /** @type {HTMLInputElement} */ (byId("settings-mirror"));
    this.dataSaver = /** @type {HTMLInputElement} */ (byId("settings-data-saver"));
    this.error = byId("settings-error");

    byId("settings-button").addEventListener("click", () => this.open());
    byId("settings-close").addEventListener("click", () => this.dialog.close());
    this.dialog.addEventListener("close", () => this.closed());
    this.camera.addEventListener("change", () => this.run(() => media.changeCamera(this.camera.value)));
    this.mic.addEventListener("change", () => this.run(() => media.changeMicrophone(this.mic.value)));
    this.speaker.addEventListener("change", () => media.changeSpeaker(this.speaker.value));
    this.selfView.addEventListener("change", () => media.setSelfView(this.selfView.checked));
    this.mirror.addEventListener("change", () => media.setMirror(this.mirror.checked));
    this.dataSaver.addEventListener("change", () => this.run(() => media.setDataSaver(this.dataSaver.checked)));
    // A camera turned off, a device switched or plugged in while the dialog is open.
    media.local.onChange(() => this.dialog.open && this.show());
    if (navigator.mediaDevices && navigator.mediaDevices.addEventListener) {
      navigator.mediaDevices.addEventListener("devicechange", () => this.dialog.open && this.fillDevices());
    }
  }

  async open() {
    const choices = this.media.local.choices;
    this.selfView.checked = choices.selfView !== false;
    this.mirror.checked = choices.mirror !== false;
    this.dataSaver.checked = Boolean(choices.dataSaver);
    this.error.hidden = true;
    this.dialog.showModal();
    this.show();
    await this.fillDevices();
  }

  // A change that may fail (a device in use elsewhere): say why in the dialog.
  async run(action) {
    this.error.hidden = true;
    try {
      await action();
    } catch (problem) {
      this.error.textContent = problem.message;
      this.error.hidden = false;
    }
    await this.fillDevices();
  }

  // The preview and the level meter follow the tracks in use now.
  show() {
    const local = this.media.local;
    const cam = local.cam;
    const shown = /** @type {MediaStream | null} */ (this.preview.srcObject);
    if (!cam) this.preview.srcObject = null;
    else if (!shown || shown.getVideoTracks()[0] !== cam) this.preview.srcObject = new MediaStream([cam]);
    byId("settings-preview-off").hidden = Boolean(cam);
    byId("settings-mic-off").hidden = Boolean(local.mic);
    if (local.mic !== this.meteredTrack) {
      this.stopMeter();
      this.meteredTrack = local.mic;
      this.level.value = 0;
      this.stopMeter = local.mic ? meter(local.camera, (level) => (this.level.value = level)) : () => {};
    }
  }

  closed() {
    this.stopMeter();
    this.stopMeter = () => {};
    this.meteredTrack = null;
    this.preview.srcObject = null;
    // Back to where it was opened from: the More menu's button (the menu itself is closed).
    byId("more-button").focus();
  }

  async fillDevices() {
    const local = this.media.local;
    const devices = await local.devices();
    const fill = (select, kind, chosen, inUse, fallback) => {
      const options = devices.filter((d) => d.kind === kind);
      select.replaceChildren(
        ...(options.length ? options : [{ deviceId: "", label: fallback }]).map((device, index) => {
          return element("option", { text: device.label || `${fallback} ${index + 1}`, attrs: { value: device.deviceId } });
        }),
      );
      // The device in use first (the browser may have chosen for us), else the remembered one.
      const current = inUse && inUse.getSettings().deviceId;
      const value = [current, chosen].find((id) => id && options.some((d) => d.deviceId === id));
      if (value) select.value = value;
      select.disabled = options.length === 0;
    };
    fill(this.camera, "videoinput", local.choices.camId, local.cam, _("Camera"));
    fill(this.mic, "audioinput", local.choices.micId, local.mic, _("Microphone"));
    const canChoose = "setSinkId" in HTMLMediaElement.prototype;
    fill(this.speaker, "audiooutput", local.choices.speakerId, null, _("Default speaker"));
    if (!canChoose) this.speaker.disabled = true;
    byId("settings-speaker-none").hidden = canChoose;
  }
}
