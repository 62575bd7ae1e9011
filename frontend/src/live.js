// A WebSocket that reconnects by itself, with jittered exponential backoff.
import { FINAL_CLOSE_CODES } from "./generated/protocol.js";

const BASE_DELAY_MS = 500;
const MAX_DELAY_MS = 15000;

export function connect(path, { onMessage, onOpen = () => {}, onStatus = /** @type {(status: string) => void} */ (() => {}) }) {
  let attempt = 0;
  let socket = null;
  let stopped = false;

  function open() {
    const scheme = location.protocol === "https:" ? "wss:" : "ws:";
    socket = new WebSocket(`${scheme}//${location.host}${path}`);
    socket.addEventListener("open", () => {
      attempt = 0;
      onStatus("connected");
      onOpen();
    });
    socket.addEventListener("message", (event) => {
      let message;
      try {
        message = JSON.parse(event.data);
      } catch {
        return;
      }
      if (message && typeof message.type === "string") onMessage(message);
    });
    socket.addEventListener("close", (event) => {
      if (stopped || FINAL_CLOSE_CODES.has(event.code)) return;
      onStatus("reconnecting");
      // Full jitter: spread reconnections out so a restart is not met by a stampede.
      const ceiling = Math.min(MAX_DELAY_MS, BASE_DELAY_MS * 2 ** attempt);
      attempt += 1;
      setTimeout(open, Math.random() * ceiling);
    });
  }

  open();
  return {
    send(message) {
      if (socket && socket.readyState === WebSocket.OPEN) socket.send(JSON.stringify(message));
    },
    stop() {
      stopped = true;
      if (socket) socket.close();
    },
  };
}
