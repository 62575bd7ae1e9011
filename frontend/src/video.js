// A video shared by a presenter: every page plays it where the room says it is.
// The room keeps {playing, position, rate} as of server time `at`; each page computes the
// position now, starts there (a late joiner too) and corrects drift of more than half a second.
// The presenter's own player drives: its play, pause, seek and rate go to the room.
import { PeerTubePlayer } from "@peertube/embed-api";
import { _ } from "./i18n.js";
import { element } from "./dom.js";

const DRIFT_S = 0.5;
const CHECK_MS = 1000;
const HEARTBEAT_MS = 5000;


// The browser's own player, for video files.
class FilePlayer {
  constructor(container, video, driving, onUser) {
    this.node = element("video", { className: "shared-video-player" });
    this.node.src = video.url;
    this.node.playsInline = true;
    this.node.controls = driving;
    this.node.preload = "auto";
    container.append(this.node);
    if (driving) {
      // Only the person's own gestures count: a change we make ourselves is not sent back.
      for (const name of ["play", "pause", "seeked", "ratechange"]) {
        this.node.addEventListener(name, () => {
          if (!this.applying) onUser();
        });
      }
    }
  }

  get position() {
    return this.node.currentTime;
  }

  get playing() {
    return !this.node.paused && !this.node.ended;
  }

  get rate() {
    return this.node.playbackRate;
  }

  apply({ playing, position, rate }, seek) {
    this.applying = true;
    if (this.node.playbackRate !== rate) this.node.playbackRate = rate;
    if (seek) this.node.currentTime = position;
    if (playing && this.node.paused) {
      this.node.play().catch(() => {
        // Sound needs a click on this page first: play muted, offer the sound.
        this.node.muted = true;
        this.node.play().catch(() => {});
        document.getElementById("video-sound").hidden = false;
      });
    } else if (!playing && !this.node.paused) {
      this.node.pause();
    }
    setTimeout(() => (this.applying = false), 300);
  }

  unmute() {
    this.node.muted = false;
  }

  destroy() {
    this.node.pause();
    this.node.removeAttribute("src");
    this.node.load();
    this.node.remove();
  }
}

// A service's embed, driven by messages to it (no script of the service runs in this page).
class EmbedPlayer {
  constructor(container, video) {
    this.video = video;
    this.node = element("iframe", { className: "shared-video-player" });
    this.node.allow = "autoplay; fullscreen; picture-in-picture";
    this.node.referrerPolicy = "strict-origin-when-cross-origin";
    this.node.title = _("Shared video");
    const origin = encodeURIComponent(location.origin);
    if (video.provider === "youtube") {
      this.node.src = `https://www.youtube-nocookie.com/embed/${video.id}?enablejsapi=1&controls=0&playsinline=1&origin=${origin}`;
    } else if (video.provider === "vimeo") {
      this.node.src = `https://player.vimeo.com/video/${video.id}?controls=0&api=1`;
    } else {
      this.node.src = `https://${video.host}/videos/embed/${video.id}?api=1&controls=0&peertubeLink=0`;
      this.peertube = new PeerTubePlayer(this.node);
    }
    container.append(this.node);
    this.state = { playing: false, position: 0, rate: 1 };
  }

  get position() {
    return null; // not read back from the embed: the room's clock is the reference
  }

  command(youtube, vimeo, peertube) {
    const target = this.node.contentWindow;
    if (!target) return;
    if (this.video.provider === "youtube") {
      target.postMessage(JSON.stringify({ event: "command", func: youtube[0], args: youtube.slice(1) }), "https://www.youtube-nocookie.com");
    } else if (this.video.provider === "vimeo") {
      target.postMessage(JSON.stringify(vimeo), "https://player.vimeo.com");
    } else {
      this.peertube.ready.then(() => peertube(this.peertube)).catch(() => {});
    }
  }

  apply({ playing, position, rate }, seek) {
    this.command(["setPlaybackRate", rate], { method: "setPlaybackRate", value: rate }, (p) => p.setPlaybackRate(rate));
    if (seek) this.command(["seekTo", position, true], { method: "setCurrentTime", value: position }, (p) => p.seek(position));
    if (playing) this.command(["playVideo"], { method: "play" }, (p) => p.play());
    else this.command(["pauseVideo"], { method: "pause" }, (p) => p.pause());
    this.state = { playing, position, rate };
  }

  unmute() {}

  destroy() {
    this.node.remove();
  }
}

export class SharedVideo {
  constructor({ send, you, isModerator, notice }) {
    this.send = send;
    this.you = you;
    this.isModerator = isModerator;
    this.notice = notice;
    this.video = null;
    this.player = null;
    this.offset = 0; // server clock minus ours, in seconds
    this.wire();
    setInterval(() => this.correct(), CHECK_MS);
    setInterval(() => this.heartbeat(), HEARTBEAT_MS);
  }

  wire() {
    const dialog = /** @type {HTMLDialogElement} */ (document.getElementById("video-dialog"));
    document.getElementById("share-video").addEventListener("click", () => {
      document.getElementById("video-error").hidden = true;
      dialog.showModal();
    });
    document.getElementById("video-cancel").addEventListener("click", () => dialog.close());
    document.getElementById("video-form").addEventListener("submit", () => {
      const url = /** @type {HTMLInputElement} */ (document.getElementById("video-url")).value.trim();
      if (url) this.send({ type: "video.share", url });
    });
    document.getElementById("video-stop").addEventListener("click", () => this.send({ type: "video.stop" }));
    document.getElementById("video-sound").addEventListener("click", (event) => {
      /** @type {HTMLElement} */ (event.target).hidden = true;
      if (this.player) this.player.unmute();
    });
    const step = (delta) => {
      const now = this.target();
      if (now) this.send({ type: "video.control", playing: this.video.playing, position: Math.max(0, now.position + delta), rate: this.video.rate });
    };
    document.getElementById("video-play").addEventListener("click", () => {
      const now = this.target();
      if (now) this.send({ type: "video.control", playing: !this.video.playing, position: now.position, rate: this.video.rate });
    });
    document.getElementById("video-back").addEventListener("click", () => step(-10));
    document.getElementById("video-forward").addEventListener("click", () => step(10));
  }

  // A refusal of the server (a bad address) is shown in the dialog, which stays open.
  refused(message) {
    const dialog = /** @type {HTMLDialogElement} */ (document.getElementById("video-dialog"));
    const box = document.getElementById("video-error");
    box.textContent = message;
    box.hidden = false;
    if (!dialog.open) dialog.showModal();
  }

  snapshot(message) {
    this.offset = message.server_time - Date.now() / 1000;
    this.update(message.video || null);
  }

  // Where the video is now, by the room's clock.
  target() {
    const video = this.video;
    if (!video) return null;
    const elapsed = video.playing ? (Date.now() / 1000 + this.offset - video.at) * video.rate : 0;
    return { playing: video.playing, position: video.position + Math.max(0, elapsed), rate: video.rate };
  }

  driving() {
    return Boolean(this.video && this.you() && this.video.by === this.you().id);
  }

  update(video) {
    const previous = this.video;
    this.video = video;
    const box = document.getElementById("shared-video");
    const same = previous && video && previous.url === video.url && previous.at <= video.at;
    if (!same && this.player) {
      this.player.destroy();
      this.player = null;
    }
    box.hidden = !video;
    document.dispatchEvent(new CustomEvent("parley:content", { detail: { kind: "video", shown: Boolean(video) } }));
    if (!video) {
      document.getElementById("video-sound").hidden = true;
      return;
    }
    const driving = this.driving();
    if (!this.player) {
      const container = document.getElementById("shared-video-player");
      container.replaceChildren();
      this.player =
        video.provider === "file"
          ? new FilePlayer(container, video, driving, () => this.report())
          : new EmbedPlayer(container, video);
    }
    document.getElementById("shared-video-caption").textContent = _("%(name)s shares a video", { name: video.by_name });
    const embedControls = !driving || video.provider === "file";
    document.getElementById("video-controls").hidden = embedControls;
    document.getElementById("video-play").textContent = video.playing ? _("Pause") : _("Play");
    document.getElementById("video-stop").hidden = !this.isModerator();
    // The presenter's own file player already is where they put it.
    if (!(driving && video.provider === "file" && same)) this.player.apply(this.target(), true);
  }

  // The presenter played, paused, sought or changed the rate: tell the room.
  report() {
    if (!this.player || !this.driving()) return;
    // Only the file player reports: an embed's own controls are not read back.
    const player = /** @type {FilePlayer} */ (this.player);
    this.send({ type: "video.control", playing: player.playing, position: player.position, rate: player.rate });
  }

  // While playing, the presenter's position keeps the room's clock honest.
  heartbeat() {
    if (this.player && this.driving() && this.video.provider === "file" && /** @type {FilePlayer} */ (this.player).playing) this.report();
  }

  correct() {
    if (!this.player || this.driving()) return;
    const target = this.target();
    const position = this.player.position;
    if (target && position !== null && Math.abs(position - target.position) > DRIFT_S) this.player.apply(target, true);
  }
}
