// jobstream browser client: reads a job's Server-Sent Events stream with fetch and resumes it
// after any drop, so a consumer sees every event exactly once, in order.
//
// Plain ES module, no dependencies, no build step: `import { subscribe } from "/jobstream-client.js"`.
// Types: jobstream-client.d.ts beside this file (JSDoc here mirrors it for editors).
//
// Why fetch and not EventSource: EventSource cannot send an Authorization header, cannot POST, and
// owns its reconnect loop (fixed delay, no backoff, gives up for good on any non-200). Why a parser
// of our own: the stream format is small but exact (WHATWG "event stream interpretation"), and the
// usual fetch-based libraries get parts of it wrong (e.g. dispatching on every blank line, dropping
// lines without a colon, losing a CRLF split across two chunks).

/** Event types after which a job's stream is over. */
export const TERMINAL_EVENTS = Object.freeze(["complete", "error", "cancelled"]);

const LINE_BREAK = /\r\n|\r|\n/g;
const DIGITS = /^[0-9]+$/;
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
 * An incremental, spec-exact Server-Sent Events parser (WHATWG HTML, "event stream
 * interpretation"). Feed it the body's chunks as they arrive (bytes, or already-decoded text);
 * it returns (and passes to `onEvent`) the events each chunk completes. `end()` marks the end of
 * one body: an unterminated block is discarded and its id is not committed; the same parser can
 * then read the next connection's body, keeping `lastEventId` and `retry`.
 *
 * @param {ParserOptions} [options]
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

/**
 * @typedef {ParsedEvent & { json: unknown }} StreamEvent
 *   A delivered event; `json` is `data` parsed as JSON, or undefined when it is not JSON.
 */

/**
 * @typedef {"connecting" | "open" | "reconnecting" | "closed"} ConnectionState
 */

/**
 * @typedef {object} SubscribeResult
 * @property {"terminal" | "no-content" | "http-error" | "bad-response" | "aborted" |
 *   "retries-exhausted"} reason
 * @property {string} lastEventId   Id of the last delivered event (resume from it).
 * @property {StreamEvent} [event]  The terminal event, when reason is "terminal".
 * @property {number} [status]      HTTP status, for "no-content", "http-error", "bad-response".
 * @property {{code: string, message: string} | Error} [error]  Server error body or last failure.
 * @property {number} connections   Responses accepted as a stream.
 * @property {number} reconnects    Requests made after the first.
 * @property {number} delivered     Events passed to onEvent.
 * @property {number} duplicates    Events dropped because their id was not after the last one.
 */

/**
 * @typedef {object} SubscribeOptions
 * @property {string} [token]            Sent as `Authorization: Bearer <token>`.
 * @property {string | number | null} [lastEventId]  Resume after this id.
 * @property {AbortSignal} [signal]      Abort to stop for good (resolves with reason "aborted").
 * @property {(event: StreamEvent) => void} [onEvent]
 * @property {(info: {status: number, attempt: number, lastEventId: string,
 *   response: Response}) => void} [onOpen]
 * @property {(error: unknown, info: {attempt: number, willRetry: boolean, delayMs: number,
 *   status?: number}) => void} [onError]
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

class HttpStatusError extends Error {
  /**
   * @param {number} status
   * @param {{code: string, message: string} | undefined} body
   */
  constructor(status, body) {
    super(body ? `HTTP ${status}: ${body.message}` : `HTTP ${status}`);
    this.name = "HttpStatusError";
    this.status = status;
    this.body = body;
  }
}

class IdleTimeoutError extends Error {
  /** @param {number} ms */
  constructor(ms) {
    super(`no data for ${ms} ms`);
    this.name = "IdleTimeoutError";
  }
}

// Minimum backoff base: a `retry: 0` must not turn a failing server into a busy loop.
const MIN_BASE_MS = 50;

/**
 * Is event id `id` after `last`? Only decimal ids can be ordered; any other id counts as new.
 * Compared as digit strings so ids beyond 2^53 stay exact.
 * @param {string} id
 * @param {string} last
 */
function isAfter(id, last) {
  if (!DIGITS.test(id) || !DIGITS.test(last)) return true;
  const a = id.replace(/^0+(?=.)/, "");
  const b = last.replace(/^0+(?=.)/, "");
  if (a.length !== b.length) return a.length > b.length;
  return a > b;
}

/** @param {string} data */
function parseJson(data) {
  try {
    return JSON.parse(data);
  } catch {
    return undefined;
  }
}

/**
 * @param {number} ms
 * @param {AbortSignal | undefined} signal
 * @returns {Promise<void>}
 */
function sleep(ms, signal) {
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

/**
 * @param {Response} response
 * @returns {Promise<{code: string, message: string} | undefined>}
 */
async function readErrorBody(response) {
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

/** @param {string | null} value */
function retryAfterMs(value) {
  if (value == null) return 0;
  if (DIGITS.test(value.trim())) return Number(value.trim()) * 1000;
  const date = Date.parse(value);
  return Number.isNaN(date) ? 0 : Math.max(0, date - Date.now());
}

/** @param {number} status */
function isRetryableStatus(status) {
  return status === 408 || status === 429 || status >= 500;
}

/** @param {(...args: any[]) => void} [fn] @param {...any} args */
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
 * `retry:`); stops on a terminal event, 204, a 4xx (other than 408/429), a non-stream response,
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
  const {
    token,
    signal,
    onEvent,
    onOpen,
    onError,
    onStateChange,
    maxRetries = 10,
    maxRetryMs = 30000,
    idleTimeoutMs = 45000,
    terminalEvents = TERMINAL_EVENTS,
    method = "GET",
    body = null,
    credentials,
    random = Math.random,
  } = options;
  const doFetch = options.fetch ?? globalThis.fetch.bind(globalThis);
  let baseDelayMs = options.retryMs ?? 1000;
  let lastId = options.lastEventId == null ? "" : String(options.lastEventId);
  let failures = 0;
  let requests = 0;
  let connections = 0;
  let delivered = 0;
  let duplicates = 0;
  /** @type {ConnectionState | undefined} */
  let state;

  /** @param {ConnectionState} next */
  const setState = (next) => {
    if (next === state) return;
    state = next;
    notify(onStateChange, next);
  };
  /**
   * @param {SubscribeResult["reason"]} reason
   * @param {Partial<SubscribeResult>} [extra]
   * @returns {SubscribeResult}
   */
  const finish = (reason, extra = {}) => {
    setState("closed");
    return {
      reason,
      lastEventId: lastId,
      connections,
      reconnects: Math.max(0, requests - 1),
      delivered,
      duplicates,
      ...extra,
    };
  };

  for (;;) {
    if (signal?.aborted) return finish("aborted");
    setState("connecting");
    const attempt = new AbortController();
    const forwardAbort = () => attempt.abort(signal?.reason);
    signal?.addEventListener("abort", forwardAbort, { once: true });
    /** @type {unknown} */
    let failure = null;
    let waitAtLeastMs = 0;
    /** @type {number | undefined} */
    let failedStatus;
    try {
      /** @type {Record<string, string>} */
      const headers = { Accept: "text/event-stream", ...options.headers };
      if (token) headers.Authorization = `Bearer ${token}`;
      if (lastId !== "") headers["Last-Event-ID"] = lastId;
      requests += 1;
      /** @type {Response | undefined} */
      let response;
      try {
        response = await doFetch(url, {
          method,
          headers,
          body,
          credentials,
          cache: "no-store",
          signal: attempt.signal,
        });
      } catch (error) {
        failure = error;
      }
      if (response) {
        const { status } = response;
        if (status === 204) {
          await response.body?.cancel().catch(() => {});
          return finish("no-content", { status });
        }
        if (status !== 200) {
          const error = await readErrorBody(response);
          if (!isRetryableStatus(status)) return finish("http-error", { status, error });
          failure = new HttpStatusError(status, error);
          failedStatus = status;
          waitAtLeastMs = retryAfterMs(response.headers.get("Retry-After"));
        } else if (
          !(response.headers.get("Content-Type") ?? "").toLowerCase().startsWith("text/event-stream")
        ) {
          await response.body?.cancel().catch(() => {});
          return finish("bad-response", {
            status,
            error: { code: "not_an_event_stream", message: "the response is not text/event-stream" },
          });
        } else if (!response.body) {
          failure = new Error("response has no body");
        } else {
          failures = 0;
          connections += 1;
          setState("open");
          notify(onOpen, { status, attempt: requests, lastEventId: lastId, response });
          try {
            const terminal = await readStream(response.body, attempt);
            if (terminal) return finish("terminal", { event: terminal });
            // A clean end without a terminal event is the server's time bound: resume.
          } catch (error) {
            if (error instanceof CallbackError) {
              setState("closed");
              throw error.cause;
            }
            failure = error;
          }
        }
      }
    } finally {
      signal?.removeEventListener("abort", forwardAbort);
      attempt.abort(); // release the connection whatever happened
    }

    if (signal?.aborted) return finish("aborted");
    if (failure !== null) {
      failures += 1;
      if (failures > maxRetries) {
        notify(onError, failure, {
          attempt: requests,
          willRetry: false,
          delayMs: 0,
          status: failedStatus,
        });
        return finish("retries-exhausted", {
          error: failure instanceof Error ? failure : new Error(String(failure)),
        });
      }
    }
    // Full jitter: a uniform draw below the exponential ceiling spreads the reconnects of many
    // viewers dropped at once (e.g. by the stream function's time bound).
    const base = Math.max(baseDelayMs, MIN_BASE_MS);
    const ceiling = Math.min(maxRetryMs, base * 2 ** Math.min(Math.max(failures - 1, 0), 30));
    const delayMs = Math.max(Math.floor(random() * ceiling), Math.min(waitAtLeastMs, maxRetryMs));
    if (failure !== null) {
      notify(onError, failure, {
        attempt: requests,
        willRetry: true,
        delayMs,
        status: failedStatus,
      });
    }
    setState("reconnecting");
    await sleep(delayMs, signal);
  }

  /**
   * Read one response body; resolves with the terminal event, or undefined at a clean end.
   * @param {ReadableStream<Uint8Array>} stream
   * @param {AbortController} attempt
   * @returns {Promise<StreamEvent | undefined>}
   */
  async function readStream(stream, attempt) {
    /** @type {StreamEvent | undefined} */
    let terminal;
    let streamFailed = false;
    const parser = createParser({
      lastEventId: lastId,
      onRetry(ms) {
        baseDelayMs = ms;
      },
      onEvent(parsed) {
        // Nothing after the end of the job, nor after an abort (later events of the same chunk).
        if (terminal || streamFailed || attempt.signal.aborted) return;
        if (isStreamFailure(parsed)) {
          // The server broke mid-stream and said so in-band: resume like any other drop.
          streamFailed = true;
          return;
        }
        if (parsed.hasId && !isAfter(parsed.id, lastId)) {
          duplicates += 1;
          return;
        }
        if (parsed.hasId) lastId = parsed.id;
        const event = { ...parsed, json: parseJson(parsed.data) };
        delivered += 1;
        if (terminalEvents.includes(event.type)) terminal = event;
        if (onEvent) {
          try {
            onEvent(event);
          } catch (error) {
            throw new CallbackError(error);
          }
        }
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
      while (!terminal && !streamFailed) {
        const { done, value } = await reader.read();
        if (done) {
          parser.end();
          return undefined;
        }
        armIdle();
        parser.feed(value);
      }
      if (streamFailed) parser.end();
      return terminal;
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
}

/**
 * The server's in-band "the stream failed, reconnect" notice (jobstream/streaming/failure.py): an
 * `error` event with no id of its own and `"retryable": true`. A job's own terminal `error` event
 * always has an id and never that flag.
 * @param {ParsedEvent} parsed
 * @returns {boolean}
 */
function isStreamFailure(parsed) {
  if (parsed.type !== "error" || parsed.hasId) return false;
  const json = parseJson(parsed.data);
  return typeof json === "object" && json !== null && json.retryable === true;
}

/**
 * The same stream as an async iterator: `for await (const event of events(url, options))`.
 * Leaving the loop (break, return, throw) closes the stream; the generator's return value is the
 * SubscribeResult. `options.onEvent` is not used.
 *
 * @param {string | URL} url
 * @param {SubscribeOptions} [options]
 * @returns {AsyncGenerator<StreamEvent, SubscribeResult, void>}
 */
export async function* events(url, options = {}) {
  const controller = new AbortController();
  const outer = options.signal;
  const forwardAbort = () => controller.abort(outer?.reason);
  if (outer?.aborted) controller.abort(outer.reason);
  outer?.addEventListener("abort", forwardAbort, { once: true });
  /** @type {StreamEvent[]} */
  const queue = [];
  /** @type {(() => void) | null} */
  let wake = null;
  let finished = false;
  /** @type {SubscribeResult | undefined} */
  let outcome;
  /** @type {{error: unknown} | undefined} */
  let failure;
  const running = subscribe(url, {
    ...options,
    signal: controller.signal,
    onEvent(event) {
      queue.push(event);
      wake?.();
    },
  }).then(
    (result) => {
      outcome = result;
    },
    (error) => {
      failure = { error };
    },
  ).finally(() => {
    finished = true;
    wake?.();
  });
  try {
    for (;;) {
      const next = queue.shift();
      if (next) {
        yield next;
        continue;
      }
      if (finished) {
        if (failure) throw failure.error;
        return /** @type {SubscribeResult} */ (outcome);
      }
      await new Promise((resolve) => {
        wake = () => resolve(undefined);
      });
      wake = null;
    }
  } finally {
    outer?.removeEventListener("abort", forwardAbort);
    controller.abort();
    await running;
  }
}
