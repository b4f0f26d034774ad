// Who is watching: one id per page (browser tab), so the server can tell a reload of the same tab
// from a second viewer. A newer stream of the same viewer ends the older one on the server within
// a few seconds (Lambda never tells a stream that its client left; without this every reload would
// leave a stream running, and billed, until its window ends). Sent as the `Viewer-Id` header; a
// native EventSource, which cannot send headers, puts it in the URL as `?viewer=`.

const STORAGE_KEY = "jobstream.viewer";
const VALID = /^[A-Za-z0-9_-]{1,64}$/;

/** @type {string | undefined} */
let fallback;

/** @returns {string} 32 hex digits */
function freshId() {
  const bytes = new Uint8Array(16);
  globalThis.crypto.getRandomValues(bytes);
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

/**
 * This tab's viewer id: kept in `sessionStorage`, which lives as long as the tab and survives its
 * reloads, and is not shared with other tabs. Without storage (private modes that refuse it, a
 * worker), one id for the life of this page.
 * @returns {string}
 */
export function tabViewerId() {
  try {
    const stored = globalThis.sessionStorage?.getItem(STORAGE_KEY);
    if (stored && VALID.test(stored)) return stored;
    const id = freshId();
    globalThis.sessionStorage?.setItem(STORAGE_KEY, id);
    if (globalThis.sessionStorage) return id;
  } catch {
    // storage refused: fall through to the page's own id
  }
  fallback ??= freshId();
  return fallback;
}
