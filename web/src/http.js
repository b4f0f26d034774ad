// Reading a stream request's response: which statuses end the subscription, which are retried,
// and the server's JSON error body.

/** @typedef {{ code: string, message: string }} ErrorBody */

export class HttpStatusError extends Error {
  /**
   * @param {number} status
   * @param {ErrorBody | undefined} body
   */
  constructor(status, body) {
    super(body ? `HTTP ${status}: ${body.message}` : `HTTP ${status}`);
    this.name = "HttpStatusError";
    this.status = status;
    this.body = body;
  }
}

/**
 * 408, 429 and 5xx pass; any other non-200 is final.
 * @param {number} status
 * @returns {boolean}
 */
export function isRetryableStatus(status) {
  return status === 408 || status === 429 || status >= 500;
}

/**
 * 401 (no token) and 403 (token refused or expired): a fresh token may help.
 * @param {number} status
 * @returns {boolean}
 */
export function isAuthStatus(status) {
  return status === 401 || status === 403;
}

/**
 * @param {Response} response
 * @returns {boolean}
 */
export function isEventStream(response) {
  return (response.headers.get("Content-Type") ?? "").toLowerCase().startsWith("text/event-stream");
}

/**
 * The server's `{"error": {"code", "message"}}`, or undefined when the body is not that.
 * @param {Response} response
 * @returns {Promise<ErrorBody | undefined>}
 */
export async function readErrorBody(response) {
  try {
    const body = await response.json();
    const error = body && typeof body === "object" ? body.error : undefined;
    if (error && typeof error.code === "string" && typeof error.message === "string") {
      return { code: error.code, message: error.message };
    }
  } catch {
    // not JSON: the status alone says what happened
  }
  return undefined;
}

/**
 * Release a response's connection without reading it.
 * @param {Response} response
 * @returns {Promise<void>}
 */
export async function discard(response) {
  await response.body?.cancel().catch(() => {});
}
