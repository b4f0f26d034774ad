// The connection and resume loop: follow a job's stream across drops until it is over for good.
//
// Why fetch and not EventSource: EventSource cannot send an Authorization header, cannot POST, and
// owns its reconnect loop (fixed delay, no backoff, gives up for good on any non-200).

import { backoffDelay, retryAfterMs, sleep } from "./backoff.js";
import { readBody } from "./body.js";
import { isAfter } from "./event-ids.js";
import { TERMINAL_EVENTS, toStreamEvent } from "./event-types.js";
import {
  HttpStatusError,
  discard,
  isAuthStatus,
  isEventStream,
  isRetryableStatus,
  readErrorBody,
} from "./http.js";

/** @typedef {import("./event-types.js").StreamEvent} StreamEvent */
/** @typedef {import("./http.js").ErrorBody} ErrorBody */

/** @typedef {"connecting" | "open" | "reconnecting" | "closed"} ConnectionState */

/**
 * @typedef {"terminal" | "no-content" | "http-error" | "bad-response" | "aborted" |
 *   "retries-exhausted"} StopReason
 */

/**
 * @typedef {object} SubscribeResult
 * @property {StopReason} reason
 * @property {string} lastEventId   Id of the last delivered event (resume from it).
 * @property {StreamEvent} [event]  The terminal event, when reason is "terminal".
 * @property {number} [status]      HTTP status, for "no-content", "http-error", "bad-response".
 * @property {ErrorBody | Error} [error]  Server error body or last failure.
 * @property {number} connections   Responses accepted as a stream.
 * @property {number} reconnects    Requests made after the first.
 * @property {number} delivered     Events passed to onEvent.
 * @property {number} duplicates    Events dropped because their id was not after the last one.
 */

/**
 * @typedef {object} OpenInfo
 * @property {number} status
 * @property {number} attempt       1 for the first request, then 2, 3, ...
 * @property {string} lastEventId   The Last-Event-ID this request sent ("" for none).
 * @property {Response} response
 */

/**
 * @typedef {object} ErrorInfo
 * @property {number} attempt
 * @property {boolean} willRetry
 * @property {number} delayMs       Wait before the next attempt (0 when willRetry is false).
 * @property {number} [status]      HTTP status of a retryable error response (408, 429, 5xx).
 */

/**
 * @typedef {object} TokenRequest
 * @property {boolean} refused  The server refused the last token (401/403): get a fresh one.
 * @property {number} attempt   The request this token is for (1, 2, ...).
 */

/**
 * @typedef {object} SubscribeOptions
 * @property {string} [token]            Sent as `Authorization: Bearer <token>`.
 * @property {(request: TokenRequest) => string | null | undefined |
 *   Promise<string | null | undefined>} [getToken]
 *   Called before every request (instead of `token`). After a 401/403 it is called with
 *   `refused: true` and the request is retried at once with the token it returns; the refusal
 *   ends the subscription ("http-error") when it returns the refused token again (or nothing),
 *   throws, or the fresh token is refused too.
 * @property {string | number | null} [lastEventId]  Resume after this id.
 * @property {AbortSignal} [signal]      Abort to stop for good (resolves with reason "aborted").
 * @property {(event: StreamEvent) => void} [onEvent]
 * @property {(info: OpenInfo) => void} [onOpen]
 * @property {(error: unknown, info: ErrorInfo) => void} [onError]
 * @property {(state: ConnectionState) => void} [onStateChange]
 * @property {number} [maxRetries]       Consecutive failed attempts tolerated (default 10).
 * @property {number} [retryMs]          Base reconnection delay until the server sends `retry:`
 *   (default 1000).
 * @property {number} [maxRetryMs]       Ceiling of the backoff (default 30000).
 * @property {number} [idleTimeoutMs]    Reconnect when no byte arrived for this long; the server
 *   sends a heartbeat comment every ~15 s (default 45000; 0 disables).
 * @property {readonly string[]} [terminalEvents]  Default TERMINAL_EVENTS.
 * @property {string} [method]           Default "GET".
 * @property {BodyInit | null} [body]
 * @property {Record<string, string>} [headers]  Extra request headers.
 * @property {string} [viewerId]         Sent as `Viewer-Id`: the server keeps one live stream per
 *   viewer, so a newer stream of the same viewer (a reload) ends the older one. See tabViewerId.
 * @property {RequestCredentials} [credentials]
 * @property {typeof fetch} [fetch]      Injected fetch (tests, instrumentation).
 * @property {() => number} [random]     Jitter source in [0, 1) (default Math.random).
 */

class CallbackError extends Error {
  /** @param {unknown} cause */
  constructor(cause) {
    super("onEvent threw", { cause });
  }
}

/**
 * What one request came to.
 * @typedef {{ stop: StopReason, extra?: Partial<SubscribeResult> }
 *   | { retry: unknown, status?: number, atLeastMs?: number }
 *   | { refused: number, error: ErrorBody | undefined }
 *   | { resume: true, atOnce: boolean }} Step
 */

/**
 * @param {(...args: any[]) => void} [fn]
 * @param {...any} args
 */
function notify(fn, ...args) {
  if (!fn) return;
  try {
    fn(...args);
  } catch (error) {
    // A broken status callback must not kill the stream; surface it where developers look.
    setTimeout(() => {
      throw error;
    });
  }
}

/**
 * Follow a job's event stream until it ends for good. Resumes after every drop with
 * `Last-Event-ID`, waiting an exponential backoff with full jitter (based on the server's
 * `retry:`, and never sooner than a 429's or 503's `Retry-After`: at a job's cap on live streams
 * the server answers 429 and the subscription waits its turn); stops on a terminal event, 204, a
 * 4xx (other than 408/429), a non-stream response,
 * `signal` or `maxRetries` consecutive failures. Every event is delivered once, in order: an
 * event whose id is not after the last delivered id is dropped.
 *
 * Resolves with why it stopped (never rejects for network or HTTP trouble); rejects only if
 * `onEvent` throws (the stream is closed first).
 *
 * @param {string | URL} url
 * @param {SubscribeOptions} [options]
 * @returns {Promise<SubscribeResult>}
 */
export async function subscribe(url, options = {}) {
  const { signal, onError, onStateChange, maxRetries = 10, maxRetryMs = 30000 } = options;
  const random = options.random ?? Math.random;
  const run = {
    lastId: options.lastEventId == null ? "" : String(options.lastEventId),
    baseDelayMs: options.retryMs ?? 1000,
    requests: 0,
    connections: 0,
    delivered: 0,
    duplicates: 0,
    refusedBefore: false,
    sentToken: /** @type {string | null} */ (null),
    freshToken: /** @type {string | null} */ (null),
  };
  /** @type {ConnectionState | undefined} */
  let state;
  /** @param {ConnectionState} next */
  const setState = (next) => {
    if (next === state) return;
    state = next;
    notify(onStateChange, next);
  };
  /**
   * @param {StopReason} reason
   * @param {Partial<SubscribeResult>} [extra]
   * @returns {SubscribeResult}
   */
  const finish = (reason, extra = {}) => {
    setState("closed");
    return {
      reason,
      lastEventId: run.lastId,
      connections: run.connections,
      reconnects: Math.max(0, run.requests - 1),
      delivered: run.delivered,
      duplicates: run.duplicates,
      ...extra,
    };
  };

  let failures = 0;
  for (;;) {
    if (signal?.aborted) return finish("aborted");
    setState("connecting");
    let step;
    try {
      step = await attemptOnce(url, options, run, () => {
        failures = 0;
        setState("open");
      });
    } catch (error) {
      if (!(error instanceof CallbackError)) throw error;
      setState("closed");
      throw error.cause;
    }
    if (signal?.aborted) return finish("aborted");
    if ("stop" in step) return finish(step.stop, step.extra);
    if ("refused" in step) {
      // A token refused: with getToken, one immediate retry with a fresh token.
      const fresh = run.refusedBefore ? null : await freshToken(options, run);
      if (signal?.aborted) return finish("aborted");
      if (!fresh) return finish("http-error", { status: step.refused, error: step.error });
      run.refusedBefore = true;
      run.freshToken = fresh;
      continue;
    }
    run.refusedBefore = false;
    const failure = "retry" in step ? step.retry : null;
    const status = "retry" in step ? step.status : undefined;
    if (failure !== null) {
      failures += 1;
      if (failures > maxRetries) {
        const info = { attempt: run.requests, willRetry: false, delayMs: 0, status };
        notify(onError, failure, info);
        const error = failure instanceof Error ? failure : new Error(String(failure));
        return finish("retries-exhausted", { error });
      }
    }
    // A stream window's end: the server ended, cleanly, a connection that delivered new events
    // and sent `retry: 0`, timed so that the job's next event is not due yet. The backoff's floor
    // and jitter (which protect a failing server) would only delay that event: come back at once.
    const atOnce = "resume" in step && step.atOnce && run.baseDelayMs === 0;
    const delayMs = atOnce
      ? 0
      : backoffDelay({
          failures,
          baseMs: run.baseDelayMs,
          maxMs: maxRetryMs,
          random,
          atLeastMs: "atLeastMs" in step ? step.atLeastMs : 0,
        });
    if (failure !== null) {
      const info = { attempt: run.requests, willRetry: true, delayMs, status };
      notify(onError, failure, info);
    }
    setState("reconnecting");
    if (delayMs > 0) await sleep(delayMs, signal);
  }
}

/**
 * @typedef {object} Run  What a subscription carries from one request to the next.
 * @property {string} lastId
 * @property {number} baseDelayMs
 * @property {number} requests
 * @property {number} connections
 * @property {number} delivered
 * @property {number} duplicates
 * @property {boolean} refusedBefore  The previous request's token was refused.
 * @property {string | null} sentToken   The token the last request sent.
 * @property {string | null} freshToken  From getToken after a refusal, for the next request.
 */

/**
 * One request: send it, classify the response, read the body when it is a stream.
 * @param {string | URL} url
 * @param {SubscribeOptions} options
 * @param {Run} run
 * @param {() => void} onAccepted  The response is a stream (resets the failure streak).
 * @returns {Promise<Step>}
 */
async function attemptOnce(url, options, run, onAccepted) {
  const { signal } = options;
  const attempt = new AbortController();
  const forwardAbort = () => attempt.abort(signal?.reason);
  signal?.addEventListener("abort", forwardAbort, { once: true });
  try {
    run.requests += 1;
    /** @type {Response} */
    let response;
    try {
      const headers = await requestHeaders(options, run);
      if (attempt.signal.aborted) return { stop: "aborted" };
      response = await (options.fetch ?? globalThis.fetch.bind(globalThis))(url, {
        method: options.method ?? "GET",
        headers,
        body: options.body ?? null,
        credentials: options.credentials,
        cache: "no-store",
        signal: attempt.signal,
      });
    } catch (error) {
      return { retry: error };
    }
    const { status } = response;
    if (status === 204) {
      await discard(response);
      return { stop: "no-content", extra: { status } };
    }
    if (status !== 200) {
      const error = await readErrorBody(response);
      if (isAuthStatus(status)) return { refused: status, error };
      if (!isRetryableStatus(status)) return { stop: "http-error", extra: { status, error } };
      const atLeastMs = retryAfterMs(response.headers.get("Retry-After"));
      return { retry: new HttpStatusError(status, error), status, atLeastMs };
    }
    if (!isEventStream(response)) {
      await discard(response);
      const error = { code: "not_an_event_stream", message: "the response is not text/event-stream" };
      return { stop: "bad-response", extra: { status, error } };
    }
    if (!response.body) return { retry: new Error("response has no body") };
    run.connections += 1;
    onAccepted();
    notify(options.onOpen, { status, attempt: run.requests, lastEventId: run.lastId, response });
    return await readEvents(response.body, attempt, options, run);
  } finally {
    signal?.removeEventListener("abort", forwardAbort);
    attempt.abort(); // release the connection whatever happened
  }
}

/**
 * @param {SubscribeOptions} options
 * @param {Run} run
 * @returns {Promise<Record<string, string>>}
 */
async function requestHeaders(options, run) {
  /** @type {Record<string, string>} */
  const headers = { Accept: "text/event-stream", ...options.headers };
  let token = run.freshToken;
  run.freshToken = null;
  if (!token) {
    token = options.getToken
      ? ((await options.getToken({ refused: false, attempt: run.requests })) ?? null)
      : (options.token ?? null);
  }
  run.sentToken = token;
  if (token) headers.Authorization = `Bearer ${token}`;
  if (run.lastId !== "") headers["Last-Event-ID"] = run.lastId;
  if (options.viewerId) headers["Viewer-Id"] = options.viewerId;
  return headers;
}

/**
 * After a 401/403: a token other than the refused one, or null (no getToken, it has nothing new,
 * or it failed: the refusal then stands).
 * @param {SubscribeOptions} options
 * @param {Run} run
 * @returns {Promise<string | null>}
 */
async function freshToken(options, run) {
  if (!options.getToken) return null;
  try {
    const token = await options.getToken({ refused: true, attempt: run.requests + 1 });
    return token && token !== run.sentToken ? token : null;
  } catch (error) {
    notify(options.onError, error, { attempt: run.requests, willRetry: false, delayMs: 0 });
    return null;
  }
}

/**
 * Deliver one body's events (once each, in order); says what comes next.
 * @param {ReadableStream<Uint8Array>} stream
 * @param {AbortController} attempt
 * @param {SubscribeOptions} options
 * @param {Run} run
 * @returns {Promise<Step>}
 */
async function readEvents(stream, attempt, options, run) {
  const terminalEvents = options.terminalEvents ?? TERMINAL_EVENTS;
  /** @type {StreamEvent | undefined} */
  let terminal;
  let fresh = 0;
  try {
    const how = await readBody(stream, {
      lastEventId: run.lastId,
      attempt,
      idleTimeoutMs: options.idleTimeoutMs ?? 45000,
      onRetry(ms) {
        run.baseDelayMs = ms;
      },
      onEvent(parsed) {
        if (parsed.hasId && !isAfter(parsed.id, run.lastId)) {
          run.duplicates += 1;
          return false;
        }
        if (parsed.hasId) run.lastId = parsed.id;
        fresh += 1;
        const event = toStreamEvent(parsed);
        run.delivered += 1;
        if (terminalEvents.includes(event.type)) terminal = event;
        try {
          options.onEvent?.(event);
        } catch (error) {
          throw new CallbackError(error);
        }
        return terminal !== undefined;
      },
    });
    if (how === "stopped" && terminal) return { stop: "terminal", extra: { event: terminal } };
    // A clean end without a terminal event is the server's time bound, and the in-band failure
    // notice ("failed") is the server saying it broke after the last event it sent: resume both.
    return { resume: true, atOnce: how === "ended" && fresh > 0 };
  } catch (error) {
    if (error instanceof CallbackError) throw error;
    return { retry: error };
  }
}
