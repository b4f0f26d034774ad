// How long to wait before the next attempt after a failure.

import { DIGITS } from "./event-ids.js";

// Minimum backoff base: a `retry: 0` must not turn a failing server into a busy loop.
export const MIN_BASE_MS = 50;

/**
 * The wait before the next attempt: "full jitter", a uniform draw below an exponential ceiling,
 * which spreads the reconnects of many viewers dropped at once (e.g. by the stream function's time
 * bound). Never shorter than a server's Retry-After (capped at maxMs).
 *
 * @param {object} options
 * @param {number} options.failures  Consecutive failed attempts so far (0 after a clean end).
 * @param {number} options.baseMs    The server's `retry:`, or the caller's default.
 * @param {number} options.maxMs     Ceiling of the backoff.
 * @param {() => number} options.random  Uniform in [0, 1).
 * @param {number} [options.atLeastMs]   From Retry-After.
 * @returns {number} milliseconds
 */
export function backoffDelay({ failures, baseMs, maxMs, random, atLeastMs = 0 }) {
  const base = Math.max(baseMs, MIN_BASE_MS);
  const ceiling = Math.min(maxMs, base * 2 ** Math.min(Math.max(failures - 1, 0), 30));
  return Math.max(Math.floor(random() * ceiling), Math.min(atLeastMs, maxMs));
}

/**
 * A Retry-After header (seconds or an HTTP date) in milliseconds; 0 when absent or unreadable.
 * @param {string | null} value
 * @returns {number}
 */
export function retryAfterMs(value) {
  if (value == null) return 0;
  if (DIGITS.test(value.trim())) return Number(value.trim()) * 1000;
  const date = Date.parse(value);
  return Number.isNaN(date) ? 0 : Math.max(0, date - Date.now());
}

/**
 * Resolves after `ms`, or as soon as `signal` aborts (never rejects).
 * @param {number} ms
 * @param {AbortSignal | undefined} signal
 * @returns {Promise<void>}
 */
export function sleep(ms, signal) {
  return new Promise((resolve) => {
    if (signal?.aborted) {
      resolve();
      return;
    }
    const done = () => {
      clearTimeout(timer);
      signal?.removeEventListener("abort", done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener("abort", done, { once: true });
  });
}
