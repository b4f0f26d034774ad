"use client";
// useJobStream: a job's derived view in a React component, and small accessible components that
// show it (components.js). React is a peer dependency; nothing else is imported beyond this
// package's framework-free core. "use client": a hook runs in the browser; with the directive a
// Next.js App Router server component can import from this entry without a wrapper of its own.

import { useEffect, useRef, useState } from "react";

import { createJobStream } from "./job-stream.js";
import { EMPTY_VIEW } from "./view.js";

export { JobProgress, JobStatus, jobStatusText } from "./components.js";

/** @typedef {import("./view.js").JobView} JobView */

/**
 * @typedef {object} UseJobStreamOptions
 * @property {string} [token]  The job's token (from POST /jobs).
 * @property {import("./subscribe.js").SubscribeOptions["getToken"]} [getToken]
 *   Called before every request instead of `token`, and again with `refused: true` after a
 *   401/403 (one immediate retry with the fresh token).
 * @property {"start" | string | number} [from]  "start" (default) replays the job's log, so the
 *   view is whole after a reload; an event id resumes after it.
 * @property {string | null} [viewerId]  Default: this tab's id (see createJobStream); read when
 *   the stream is created.
 * @property {import("./job-stream.js").JobStreamOptions["subscribeOptions"]} [subscribeOptions]
 *   Read when the stream is created (fetch, retryMs, onError, ...).
 */

/**
 * One stream per job and starting point, shared by every component that shows it, so two
 * components (or StrictMode's mount, unmount, mount) never open two connections for one job.
 * @type {Map<string, { stream: import("./job-stream.js").JobStream, users: number,
 *   closing: ReturnType<typeof setTimeout> | undefined }>}
 */
const shared = new Map();

/**
 * The job's shared stream (started), and the function that lets go of it.
 * @param {string} url
 * @param {UseJobStreamOptions} options
 * @returns {{ stream: import("./job-stream.js").JobStream, release: () => void }}
 */
function acquire(url, options) {
  const key = `${options.from ?? "start"} ${url}`;
  let entry = shared.get(key);
  if (!entry) {
    const stream = createJobStream(url, {
      token: options.token,
      getToken: options.getToken,
      from: options.from,
      viewerId: options.viewerId,
      subscribeOptions: options.subscribeOptions,
    });
    entry = { stream, users: 0, closing: undefined };
    shared.set(key, entry);
  }
  clearTimeout(entry.closing);
  entry.users += 1;
  entry.stream.start();
  const held = entry;
  const release = () => {
    held.users -= 1;
    if (held.users > 0) return;
    // Closed on the next task, not now: StrictMode unmounts and mounts again synchronously, and
    // that second mount must find the same stream rather than a closed one and a new request.
    held.closing = setTimeout(() => {
      if (held.users > 0) return;
      held.stream.close();
      if (shared.get(key) === held) shared.delete(key);
    });
  };
  return { stream: held.stream, release };
}

/**
 * Follow a job's stream and return its derived view (status, percent, phase, counts, items, log,
 * text, result, error, connection, lastEventId). Reconnects with Last-Event-ID after drops, stops
 * on the job's end, a 204 or a 4xx (`view.end` says why), aborts the request on unmount, and
 * follows a new URL when `eventsUrl` changes. A new token (or getToken) is used from the next
 * request on; after the server refused the old one, the stream resumes with the new one.
 *
 * @param {string | null | undefined} eventsUrl  null/undefined: nothing to follow yet.
 * @param {UseJobStreamOptions} [options]
 * @returns {JobView}
 */
export function useJobStream(eventsUrl, options = {}) {
  const { token, from } = options;
  const hasGetToken = typeof options.getToken === "function";
  const latest = useRef(options);
  latest.current = options;
  // One function for the stream's life that calls the caller's latest getToken: an inline
  // `getToken={() => ...}` is a new function every render and must not count as a new token.
  const getToken = useRef(
    /** @type {NonNullable<UseJobStreamOptions["getToken"]>} */ (
      (request) => latest.current.getToken?.(request)
    ),
  ).current;
  const [state, setState] = useState(
    /** @type {{ url: string | null, stream: import("./job-stream.js").JobStream | null,
     *   view: JobView }} */ ({ url: null, stream: null, view: EMPTY_VIEW }),
  );

  useEffect(() => {
    if (!eventsUrl) return undefined;
    const { token: first, getToken: given, ...rest } = latest.current;
    const { stream, release } = acquire(eventsUrl, {
      ...rest,
      token: first,
      getToken: given && getToken,
    });
    setState({ url: eventsUrl, stream, view: stream.getView() });
    const stop = stream.listen((view) => setState({ url: eventsUrl, stream, view }));
    return () => {
      stop();
      release();
    };
  }, [eventsUrl, from, getToken]);

  useEffect(() => {
    state.stream?.setAuth({ token, getToken: hasGetToken ? getToken : undefined });
  }, [state.stream, token, hasGetToken, getToken]);

  // Until the effect has run for a new URL, show an empty view rather than the old job's.
  return state.url === eventsUrl ? state.view : EMPTY_VIEW;
}
