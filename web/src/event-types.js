// What an event's type and data mean to a client, as the server (shared/jobstream) defines them.

/**
 * Event types after which a job's stream is over. The one copy in this package; a Python test
 * (tests/browser/test_client_package.py) holds it equal to jobstream's TERMINAL_EVENT_TYPES.
 * @type {readonly string[]}
 */
export const TERMINAL_EVENTS = Object.freeze(["complete", "error", "cancelled"]);

/**
 * @typedef {import("./parser.js").ParsedEvent & { json: unknown }} StreamEvent
 *   A delivered event; `json` is `data` parsed as JSON, or undefined when it is not JSON.
 */

/**
 * @param {string} data
 * @returns {unknown}
 */
export function parseJson(data) {
  try {
    return JSON.parse(data);
  } catch {
    return undefined;
  }
}

/**
 * @param {import("./parser.js").ParsedEvent} parsed
 * @returns {StreamEvent}
 */
export function toStreamEvent(parsed) {
  return { ...parsed, json: parseJson(parsed.data) };
}

/**
 * The server's in-band "the stream failed, reconnect" notice (jobstream/response_stream/failure.py): an
 * `error` event with no id of its own and `"retryable": true`. A job's own terminal `error` event
 * always has an id and never that flag.
 * @param {import("./parser.js").ParsedEvent} parsed
 * @returns {boolean}
 */
export function isStreamFailure(parsed) {
  if (parsed.type !== "error" || parsed.hasId) return false;
  const json = parseJson(parsed.data);
  return typeof json === "object" && json !== null && "retryable" in json && json.retryable === true;
}
