// What the pages put on `window`: htmx for its extensions, the rest for the browser's
// console and the browser tests.
export {};

declare global {
  interface Window {
    htmx: unknown;
    parleyMedia: import("./media/index.js").Media;
    parleyNotes: import("./documents/notes.js").Notes;
    parleyBoard: import("./documents/board.js").Board;
    parleyPeople?: { watch(ids: number[]): void; live(): unknown };
  }
}
