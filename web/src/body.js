// Reading one response body: chunks through the parser until the body ends, a caller says stop
// (a terminal event), the server's in-band failure notice arrives, or nothing arrives for too long.

import { createParser } from "./parser.js";
import { isStreamFailure } from "./event-types.js";

export class IdleTimeoutError extends Error {
  /** @param {number} ms */
  constructor(ms) {
    super(`no data for ${ms} ms`);
    this.name = "IdleTimeoutError";
  }
}

/**
 * @typedef {object} ReadBodyOptions
 * @property {string} lastEventId  Id in force when the body starts (the resume point).
 * @property {AbortController} attempt  This request's controller: aborted on an idle timeout.
 * @property {number} idleTimeoutMs  0 disables.
 * @property {(ms: number) => void} onRetry
 * @property {(event: import("./parser.js").ParsedEvent) => boolean} onEvent
 *   Returns true when reading should stop (a terminal event was delivered).
 */

/**
 * Resolves with how the body ended: "stopped" (onEvent said so), "ended" (a clean end, e.g. the
 * stream function's time bound) or "failed" (the in-band failure notice). Rejects when the body
 * breaks, with IdleTimeoutError on an idle timeout, and with whatever onEvent throws.
 *
 * @param {ReadableStream<Uint8Array>} stream
 * @param {ReadBodyOptions} options
 * @returns {Promise<"stopped" | "ended" | "failed">}
 */
export async function readBody(stream, { lastEventId, attempt, idleTimeoutMs, onRetry, onEvent }) {
  /** @type {"stopped" | "failed" | null} */
  let outcome = null;
  const parser = createParser({
    lastEventId,
    onRetry,
    onEvent(parsed) {
      // Nothing after the end of the job, nor after an abort (later events of the same chunk).
      if (outcome !== null || attempt.signal.aborted) return;
      if (isStreamFailure(parsed)) {
        // The server broke mid-stream and said so in-band: resume like any other drop.
        outcome = "failed";
        return;
      }
      if (onEvent(parsed)) outcome = "stopped";
    },
  });
  const reader = stream.getReader();
  /** @type {ReturnType<typeof setTimeout> | undefined} */
  let idleTimer;
  const armIdle = () => {
    if (idleTimeoutMs <= 0) return;
    clearTimeout(idleTimer);
    idleTimer = setTimeout(() => attempt.abort(new IdleTimeoutError(idleTimeoutMs)), idleTimeoutMs);
  };
  try {
    armIdle();
    while (outcome === null) {
      const { done, value } = await reader.read();
      if (done) {
        parser.end();
        return "ended";
      }
      armIdle();
      parser.feed(value);
    }
    if (outcome === "failed") parser.end();
    return outcome;
  } catch (error) {
    // An idle timeout surfaces as an abort of this attempt: report the reason, not "aborted".
    if (attempt.signal.aborted && attempt.signal.reason instanceof IdleTimeoutError) {
      throw attempt.signal.reason;
    }
    throw error;
  } finally {
    clearTimeout(idleTimer);
    reader.cancel().catch(() => {});
  }
}
