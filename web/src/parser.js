// An incremental, spec-exact Server-Sent Events parser (WHATWG HTML, "event stream
// interpretation"). Hand-written because the usual fetch-based libraries get parts of the format
// wrong (dispatching on every blank line, dropping lines without a colon, losing a CRLF split
// across two chunks); tests/browser/test_parser_conformance.py holds it to the spec's cases.

import { DIGITS } from "./event-ids.js";

const LINE_BREAK = /\r\n|\r|\n/g;
const BOM = 0xfeff;

/**
 * @typedef {object} ParsedEvent
 * @property {string} type     The `event:` field, "message" when absent or empty.
 * @property {string} data     The `data:` lines joined with "\n".
 * @property {string} id       The last event id in force (WHATWG: it persists across events).
 * @property {boolean} hasId   True when this event's own block carried a valid `id:` line.
 * @property {number | null} retry  A valid `retry:` value sent in the same block, else null.
 */

/**
 * @typedef {object} ParserOptions
 * @property {(event: ParsedEvent) => void} [onEvent]
 * @property {(ms: number) => void} [onRetry]     Called as soon as a valid `retry:` line ends.
 * @property {(text: string) => void} [onComment]  Text after the ':' of a comment line.
 * @property {string | number} [lastEventId]      Id in force before the first event (a resume).
 */

/**
 * @typedef {object} Parser
 * @property {(chunk: Uint8Array | ArrayBuffer | string) => ParsedEvent[]} feed
 *   Parse the next chunk of the body; returns the events this chunk completed.
 * @property {() => ParsedEvent[]} end  The body ended: discard an unterminated block (WHATWG) and
 *   get ready for the next body. Always returns [].
 * @property {string} lastEventId  The id a reconnect sends as Last-Event-ID (changes only when a
 *   block is dispatched).
 * @property {number | null} retry  The last valid `retry:` value (ms), or null.
 */

/**
 * An incremental, spec-exact Server-Sent Events parser (WHATWG HTML, "event stream
 * interpretation"). Feed it the body's chunks as they arrive (bytes, or already-decoded text);
 * it returns (and passes to `onEvent`) the events each chunk completes. `end()` marks the end of
 * one body: an unterminated block is discarded and its id is not committed; the same parser can
 * then read the next connection's body, keeping `lastEventId` and `retry`.
 *
 * @param {ParserOptions} [options]
 * @returns {Parser}
 */
export function createParser(options = {}) {
  const { onEvent, onRetry, onComment } = options;
  let lastEventId = options.lastEventId == null ? "" : String(options.lastEventId);
  /** @type {number | null} */
  let retry = null;

  // Per-body state, reset by end().
  /** @type {TextDecoder} */
  let decoder;
  let pending = ""; // text after the last line break, waiting for its line to end
  let skipLF = false; // the previous chunk ended with CR: a leading LF completes that CRLF
  let bomChecked = false;
  /** @type {string[]} */
  let data = [];
  let eventType = "";
  let idBuffer = ""; // WHATWG "last event ID buffer": committed to lastEventId on dispatch
  let hasId = false;
  /** @type {number | null} */
  let retryInBlock = null;
  /** @type {ParsedEvent[]} */
  let out = [];

  function resetBody() {
    // ignoreBOM keeps a BOM in the text so that bytes and strings take the same path below,
    // where exactly one leading BOM per body is stripped.
    decoder = new TextDecoder("utf-8", { ignoreBOM: true });
    pending = "";
    skipLF = false;
    bomChecked = false;
    data = [];
    eventType = "";
    idBuffer = lastEventId;
    hasId = false;
    retryInBlock = null;
  }
  resetBody();

  function dispatch() {
    // The id is committed even when no event fires (a block with an id and no data).
    lastEventId = idBuffer;
    const ownId = hasId;
    hasId = false;
    if (data.length === 0) {
      eventType = "";
      retryInBlock = null;
      return;
    }
    /** @type {ParsedEvent} */
    const event = {
      type: eventType || "message",
      data: data.join("\n"),
      id: lastEventId,
      hasId: ownId,
      retry: retryInBlock,
    };
    data = [];
    eventType = "";
    retryInBlock = null;
    out.push(event);
    if (onEvent) onEvent(event);
  }

  /** @param {string} line */
  function processLine(line) {
    if (line === "") {
      dispatch();
      return;
    }
    const colon = line.indexOf(":");
    if (colon === 0) {
      if (onComment) onComment(line.slice(1));
      return;
    }
    let field = line;
    let value = "";
    if (colon > 0) {
      field = line.slice(0, colon);
      value = line.slice(colon + 1);
      if (value.charCodeAt(0) === 0x20) value = value.slice(1);
    }
    switch (field) {
      case "data":
        data.push(value);
        break;
      case "event":
        eventType = value;
        break;
      case "id":
        if (!value.includes("\0")) {
          idBuffer = value;
          hasId = true;
        }
        break;
      case "retry":
        if (DIGITS.test(value)) {
          const ms = Number(value);
          // A delay beyond 2^53 ms is meaningless and would lose precision: ignore it.
          if (Number.isSafeInteger(ms)) {
            retry = retryInBlock = ms;
            if (onRetry) onRetry(ms);
          }
        }
        break;
      default:
        break; // unknown fields are ignored
    }
  }

  /** @param {string} text */
  function feedText(text) {
    if (text === "") return;
    if (!bomChecked) {
      bomChecked = true;
      if (text.charCodeAt(0) === BOM) {
        text = text.slice(1);
        if (text === "") return;
      }
    }
    if (skipLF) {
      skipLF = false;
      if (text.charCodeAt(0) === 0x0a) {
        text = text.slice(1);
        if (text === "") return;
      }
    }
    let start = 0;
    LINE_BREAK.lastIndex = 0;
    /** @type {RegExpExecArray | null} */
    let match;
    while ((match = LINE_BREAK.exec(text)) !== null) {
      let line = text.slice(start, match.index);
      if (pending !== "") {
        line = pending + line;
        pending = "";
      }
      start = match.index + match[0].length;
      // A lone CR at the very end ends its line now (no waiting for more bytes); remember it so
      // an LF opening the next chunk is not read as a second, empty line.
      if (start === text.length && match[0] === "\r") skipLF = true;
      processLine(line);
    }
    if (start < text.length) pending += text.slice(start);
  }

  return {
    /**
     * Parse the next chunk of the body.
     * @param {Uint8Array | ArrayBuffer | string} chunk
     * @returns {ParsedEvent[]} the events this chunk completed
     */
    feed(chunk) {
      out = [];
      const text =
        typeof chunk === "string" ? chunk : decoder.decode(chunk, { stream: true });
      feedText(text);
      return out;
    },
    /**
     * The body ended: discard an unterminated block (WHATWG) and get ready for the next body.
     * @returns {ParsedEvent[]} always empty; returned for symmetry with feed()
     */
    end() {
      decoder.decode(); // flush; any trailing partial character belongs to a discarded line
      resetBody();
      return [];
    },
    /** The id a reconnect sends as Last-Event-ID (changes only when a block is dispatched). */
    get lastEventId() {
      return lastEventId;
    },
    /** The last valid `retry:` value (ms), or null. */
    get retry() {
      return retry;
    },
  };
}
