// Follow one job and keep its derived view: subscribe() plus reduceView(), framework-free. The
// demo page renders from it; the React hook (react.js) shares one per job between components.

import { subscribe } from "./subscribe.js";
import { tabViewerId } from "./viewer.js";
import { DEFAULT_LIMITS, EMPTY_VIEW, reduceView, withConnection, withOutcome } from "./view.js";

/** @typedef {import("./view.js").JobView} JobView */
/** @typedef {import("./subscribe.js").SubscribeOptions} SubscribeOptions */

/**
 * @typedef {object} JobStreamOptions
 * @property {string} [token]   The job's token (see `setAuth` to change it).
 * @property {SubscribeOptions["getToken"]} [getToken]  Called before every request instead.
 * @property {"start" | string | number} [from]
 *   "start" (default): replay the job's log from its first event, so the view is whole even after
 *   a reload. An event id: resume after it (the view then holds only what came later).
 * @property {string | null} [viewerId]  Sent with every request (`Viewer-Id`), so that this
 *   tab's newer stream of the job (after a reload) ends its older one on the server. Default:
 *   this tab's id (tabViewerId, kept in sessionStorage; a second live stream of the same URL in
 *   this tab gets `<id>-2`); null sends none.
 * @property {import("./view.js").ViewLimits} [limits]
 * @property {(event: import("./event-types.js").StreamEvent, view: JobView) => void} [onEvent]
 *   Each event, after it was folded into the view.
 * @property {Omit<SubscribeOptions, "token" | "getToken" | "lastEventId" | "signal" | "onEvent" |
 *   "onStateChange">} [subscribeOptions]  Passed through (fetch, onError, retryMs, ...).
 */

/**
 * @typedef {object} JobStream
 * @property {() => JobView} getView
 * @property {(listener: (view: JobView) => void) => () => void} listen
 *   Called after every change of the view; returns the function that stops listening.
 * @property {() => void} start    Open the stream (once: later calls, and calls after `close`,
 *   do nothing).
 * @property {() => void} close    Stop for good and abort the request in flight.
 * @property {(auth: { token?: string, getToken?: SubscribeOptions["getToken"] }) => void} setAuth
 *   Use another token from the next request on; if the stream had stopped because the server
 *   refused the old one (401/403), resume now after the last event.
 * @property {string} url
 */

/** Live JobStreams of this tab per URL, by viewer suffix (see claimViewer). */
/** @type {Map<string, Set<number>>} */
const liveByUrl = new Map();

/**
 * This tab's viewer id for a new stream of `url`: the tab's own id for the first live one, and
 * `<tab id>-2`, `-3`, ... for more at once, so two live streams of one job in one tab never
 * supersede each other, while a reload (which starts again at the first) supersedes its own.
 * @param {string} url
 * @returns {{ id: string, release: () => void }}
 */
function claimViewer(url) {
  const taken = liveByUrl.get(url) ?? new Set();
  liveByUrl.set(url, taken);
  let n = 1;
  while (taken.has(n)) n += 1;
  taken.add(n);
  const tab = tabViewerId();
  return {
    id: n === 1 ? tab : `${tab}-${n}`,
    release() {
      taken.delete(n);
      if (taken.size === 0) liveByUrl.delete(url);
    },
  };
}

/**
 * @param {string} url
 * @param {JobStreamOptions} [options]
 * @returns {JobStream}
 */
export function createJobStream(url, options = {}) {
  const limits = options.limits ?? DEFAULT_LIMITS;
  let auth = { token: options.token, getToken: options.getToken };
  let view = EMPTY_VIEW;
  let running = false;
  let started = false;
  let closed = false;
  const controller = new AbortController();
  /** @type {Set<(view: JobView) => void>} */
  const listeners = new Set();
  const from = options.from ?? "start";
  // Where the next subscription starts: the replay point first, then after the last event.
  let resumeAfter = from === "start" ? "" : String(from);
  const viewer = options.viewerId === undefined ? claimViewer(url) : null;
  const viewerId = viewer ? viewer.id : (options.viewerId ?? null);

  /** @param {JobView} next */
  const publish = (next) => {
    if (next === view) return;
    view = next;
    for (const listener of listeners) listener(view);
  };

  async function run() {
    running = true;
    try {
      const result = await subscribe(url, {
        ...options.subscribeOptions,
        viewerId: viewerId ?? undefined,
        lastEventId: resumeAfter || undefined,
        signal: controller.signal,
        getToken: (request) => (auth.getToken ? auth.getToken(request) : auth.token),
        onStateChange: (connection) => publish(withConnection(view, connection)),
        onEvent: (event) => {
          publish(reduceView(view, event, limits));
          options.onEvent?.(event, view);
        },
      });
      resumeAfter = result.lastEventId;
      if (result.reason !== "aborted") publish(withOutcome(view, result));
    } finally {
      running = false;
    }
  }

  return {
    url,
    getView: () => view,
    listen(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    start() {
      // Once: a stream that has ended stays ended (a second start after a terminal event would
      // resume after it and get a 204); setAuth is the one way to resume after a refusal.
      if (started || closed) return;
      started = true;
      void run();
    },
    close() {
      if (!closed) viewer?.release();
      closed = true;
      controller.abort();
    },
    setAuth(next) {
      if (next.token === auth.token && next.getToken === auth.getToken) return;
      auth = { token: next.token, getToken: next.getToken };
      const end = view.end;
      const refused = end?.reason === "http-error" && (end.status === 401 || end.status === 403);
      if (refused && !running && !closed) {
        publish({ ...view, end: null });
        void run();
      }
    },
  };
}
