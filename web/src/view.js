// A job's derived view: what a page shows, folded from the job's events in order. Pure functions
// (a new view per event, unchanged parts shared), so React can compare views by identity and a
// page can rebuild the whole view by replaying the job's log from its first event.

/** @typedef {import("./event-types.js").StreamEvent} StreamEvent */
/** @typedef {import("./subscribe.js").ConnectionState} ConnectionState */
/** @typedef {import("./subscribe.js").SubscribeResult} SubscribeResult */

/**
 * @typedef {"pending" | "running" | "succeeded" | "failed" | "cancelled"} JobStatus
 *   "pending" until the first event says otherwise.
 */

/**
 * @typedef {object} Phase
 * @property {string} name
 * @property {number | null} index  0-based, when the job declared its phases.
 * @property {number | null} count
 */

/**
 * @typedef {object} Item
 * @property {string} id      The event id that reported it.
 * @property {string} key
 * @property {boolean} ok
 * @property {string | null} reason  Why it failed.
 */

/**
 * @typedef {object} LogLine
 * @property {string} id
 * @property {string} level   "info", "warning", "error", ...
 * @property {string} message
 */

/**
 * @typedef {object} StreamEnd  Why the stream stopped, when it stopped without a terminal event.
 * @property {import("./subscribe.js").StopReason} reason
 * @property {number | null} status
 * @property {string | null} message  The server's error message, if it sent one.
 */

/**
 * @typedef {object} JobView
 * @property {JobStatus} status
 * @property {number | null} percent  0..100; null while the amount of work is unknown.
 * @property {number | null} done     Units done (of the current phase, with weighted phases).
 * @property {number | null} total
 * @property {Phase | null} phase
 * @property {{ succeeded: number, failed: number }} counts  Items so far.
 * @property {Item[]} items           The newest `limits.items`.
 * @property {LogLine[]} log          The newest `limits.log`.
 * @property {string} text            Streamed text (`text` events), the last `limits.textChars`.
 * @property {number} textEnd         Offset (code points) just after the text shown.
 * @property {unknown} result         The `complete` event's result.
 * @property {string | null} error    The job's error message (`error` event).
 * @property {ConnectionState | "idle"} connection
 * @property {string} lastEventId
 * @property {number} events          Events folded into this view.
 * @property {StreamEnd | null} end   Set when the stream stopped without a terminal event.
 */

/** @typedef {{ items: number, log: number, textChars: number }} ViewLimits */

/** Long jobs would grow a page without bound: keep the newest entries only. @type {ViewLimits} */
export const DEFAULT_LIMITS = Object.freeze({ items: 500, log: 500, textChars: 20000 });

/** @type {JobView} */
export const EMPTY_VIEW = Object.freeze({
  status: /** @type {JobStatus} */ ("pending"),
  percent: 0,
  done: null,
  total: null,
  phase: null,
  counts: Object.freeze({ succeeded: 0, failed: 0 }),
  items: [],
  log: [],
  text: "",
  textEnd: 0,
  result: undefined,
  error: null,
  connection: /** @type {ConnectionState | "idle"} */ ("idle"),
  lastEventId: "",
  events: 0,
  end: null,
});

/**
 * @param {unknown} value
 * @returns {number | null}
 */
const numberOrNull = (value) =>
  typeof value === "number" && Number.isFinite(value) ? value : null;

/**
 * @template T
 * @param {T[]} list
 * @param {T} entry
 * @param {number} limit
 * @returns {T[]}
 */
function appendCapped(list, entry, limit) {
  const next = list.length >= limit ? list.slice(list.length - limit + 1) : list.slice();
  next.push(entry);
  return next;
}

/**
 * Fold one event into the view. Unknown types only move `lastEventId` and `events`.
 * @param {JobView} view
 * @param {StreamEvent} event
 * @param {ViewLimits} [limits]
 * @returns {JobView}
 */
export function reduceView(view, event, limits = DEFAULT_LIMITS) {
  const data = /** @type {Record<string, unknown>} */ (
    event.json && typeof event.json === "object" ? event.json : {}
  );
  const next = { ...view, lastEventId: event.id, events: view.events + 1 };
  const running = view.status === "pending" ? "running" : view.status;
  switch (event.type) {
    case "progress": {
      const phaseName = typeof data.phase === "string" && data.phase ? data.phase : null;
      const phase =
        phaseName === null || view.phase?.name === phaseName
          ? view.phase
          : { name: phaseName, index: null, count: null };
      return {
        ...next,
        status: running,
        percent: numberOrNull(data.percent),
        done: numberOrNull(data.done),
        total: numberOrNull(data.total),
        phase,
      };
    }
    case "phase": {
      if (typeof data.name !== "string") return { ...next, status: running };
      const phase = {
        name: data.name,
        index: Number.isInteger(data.index) ? /** @type {number} */ (data.index) : null,
        count: Number.isInteger(data.count) ? /** @type {number} */ (data.count) : null,
      };
      const percent = numberOrNull(data.percent);
      // A new phase counts its own units: the previous phase's done/total no longer apply.
      const same = view.phase?.name === phase.name;
      return {
        ...next,
        status: running,
        phase,
        percent: percent ?? view.percent,
        done: same ? view.done : null,
        total: same ? view.total : null,
      };
    }
    case "log": {
      const line = {
        id: event.id,
        level: String(data.level ?? "info"),
        message: String(data.message ?? ""),
      };
      return { ...next, status: running, log: appendCapped(view.log, line, limits.log) };
    }
    case "item": {
      const ok = Boolean(data.ok);
      const item = {
        id: event.id,
        key: String(data.key ?? ""),
        ok,
        reason: ok || data.reason == null ? null : String(data.reason),
      };
      // The job's own running totals when it sends them, else counted here.
      const counts =
        typeof data.succeeded === "number" && typeof data.failed === "number"
          ? { succeeded: data.succeeded, failed: data.failed }
          : {
              succeeded: view.counts.succeeded + (ok ? 1 : 0),
              failed: view.counts.failed + (ok ? 0 : 1),
            };
      return { ...next, status: running, counts, items: appendCapped(view.items, item, limits.items) };
    }
    case "text":
      return { ...next, status: running, ...appendText(view, data, limits.textChars) };
    case "complete": {
      const items = /** @type {Record<string, unknown> | undefined} */ (data.items);
      const counts =
        items && typeof items.succeeded === "number" && typeof items.failed === "number"
          ? { succeeded: items.succeeded, failed: items.failed }
          : view.counts;
      return { ...next, status: "succeeded", percent: 100, counts, result: data.result ?? null };
    }
    case "error":
      // The message is the server's own, client-safe and complete ("The job failed: ...").
      return { ...next, status: "failed", error: String(data.message ?? "The job failed.") };
    case "cancelled":
      return { ...next, status: "cancelled" };
    default:
      return next;
  }
}

/**
 * A `text` event {delta, offset}: offsets count code points of the whole text, so a delta already
 * (partly) shown is skipped and a gap (text never received) is marked "[…]".
 * @param {JobView} view
 * @param {Record<string, unknown>} data
 * @param {number} maxChars
 * @returns {{ text: string, textEnd: number }}
 */
function appendText(view, data, maxChars) {
  const delta = Array.from(typeof data.delta === "string" ? data.delta : "");
  const offset = Number.isInteger(data.offset) ? /** @type {number} */ (data.offset) : view.textEnd;
  const end = offset + delta.length;
  if (end <= view.textEnd) return { text: view.text, textEnd: view.textEnd };
  let piece = delta.slice(Math.max(0, view.textEnd - offset)).join("");
  if (offset > view.textEnd) piece = `[…]${piece}`;
  return { text: (view.text + piece).slice(-maxChars), textEnd: end };
}

/**
 * @param {JobView} view
 * @param {ConnectionState} connection
 * @returns {JobView}
 */
export function withConnection(view, connection) {
  return view.connection === connection ? view : { ...view, connection };
}

/**
 * Record why the stream stopped, unless a terminal event already says it all.
 * @param {JobView} view
 * @param {SubscribeResult} result
 * @returns {JobView}
 */
export function withOutcome(view, result) {
  if (result.reason === "terminal") return { ...view, connection: "closed", end: null };
  const error = result.error;
  const message = error && "message" in error ? String(error.message) : null;
  return {
    ...view,
    connection: "closed",
    end: { reason: result.reason, status: result.status ?? null, message },
  };
}

/**
 * Is the job over (a terminal event was folded in)?
 * @param {JobView} view
 * @returns {boolean}
 */
export function isFinished(view) {
  return view.status === "succeeded" || view.status === "failed" || view.status === "cancelled";
}
