// Types for jobstream-client.js (plain ES module, no build step).

/** Event types after which a job's stream is over: "complete", "error", "cancelled". */
export declare const TERMINAL_EVENTS: readonly string[];

/** One event as the WHATWG event stream interpretation dispatches it. */
export interface ParsedEvent {
  /** The `event:` field; "message" when absent or empty. */
  type: string;
  /** The `data:` lines joined with "\n". */
  data: string;
  /** The last event id in force when it fired (persists across events without an `id:`). */
  id: string;
  /** True when this event's own block carried a valid `id:` line. */
  hasId: boolean;
  /** A valid `retry:` value (ms) sent in the same block, else null. */
  retry: number | null;
}

export interface ParserOptions {
  onEvent?: (event: ParsedEvent) => void;
  /** Called as soon as a valid `retry:` line ends (digits only). */
  onRetry?: (ms: number) => void;
  /** Text after the ':' of a comment line (heartbeats). */
  onComment?: (text: string) => void;
  /** Id in force before the first event, when reading a resumed stream. */
  lastEventId?: string | number;
}

export interface Parser {
  /** Parse the next chunk (bytes, or already-decoded text); returns the events it completed. */
  feed(chunk: Uint8Array | ArrayBuffer | string): ParsedEvent[];
  /** End of one body: an unterminated block is discarded (its id not committed). Returns []. */
  end(): ParsedEvent[];
  /** The id a reconnect sends as Last-Event-ID; changes only when a block is dispatched. */
  readonly lastEventId: string;
  /** The last valid `retry:` value (ms), or null. */
  readonly retry: number | null;
}

export declare function createParser(options?: ParserOptions): Parser;

/** A delivered event: `json` is `data` parsed as JSON, or undefined when it is not JSON. */
export interface StreamEvent<T = unknown> extends ParsedEvent {
  json: T;
}

export type ConnectionState = "connecting" | "open" | "reconnecting" | "closed";

export type StopReason =
  /** A terminal event (complete / error / cancelled) was delivered. */
  | "terminal"
  /** 204: nothing left to send (the job ended before this resume point). */
  | "no-content"
  /** A 4xx other than 408/429 (401 token missing, 403 bad token, 404 unknown job, 400 ...). */
  | "http-error"
  /** 200 but not text/event-stream. */
  | "bad-response"
  /** options.signal was aborted. */
  | "aborted"
  /** More than maxRetries consecutive failed attempts. */
  | "retries-exhausted";

export interface ErrorBody {
  code: string;
  message: string;
}

export interface SubscribeResult {
  reason: StopReason;
  /** Id of the last delivered event (or the lastEventId passed in): resume from it. */
  lastEventId: string;
  /** The terminal event, when reason is "terminal". */
  event?: StreamEvent;
  /** HTTP status for "no-content", "http-error" and "bad-response". */
  status?: number;
  /** The server's error body ("http-error"), or the last failure ("retries-exhausted"). */
  error?: ErrorBody | Error;
  /** Responses accepted as an event stream. */
  connections: number;
  /** Requests made after the first one. */
  reconnects: number;
  /** Events passed to onEvent. */
  delivered: number;
  /** Events dropped because their id was not after the last delivered id. */
  duplicates: number;
}

export interface OpenInfo {
  status: number;
  /** 1 for the first request, then 2, 3, ... */
  attempt: number;
  /** The Last-Event-ID this request sent ("" for none). */
  lastEventId: string;
  response: Response;
}

export interface ErrorInfo {
  attempt: number;
  willRetry: boolean;
  /** Wait before the next attempt (0 when willRetry is false). */
  delayMs: number;
  /** HTTP status of a retryable error response (408, 429, 5xx). */
  status?: number;
}

export interface SubscribeOptions<T = unknown> {
  /** Sent as `Authorization: Bearer <token>`. */
  token?: string;
  /** Resume after this id (sent as Last-Event-ID; later events with ids <= it are dropped). */
  lastEventId?: string | number | null;
  /** Abort to stop for good; the promise then resolves with reason "aborted". */
  signal?: AbortSignal;
  onEvent?: (event: StreamEvent<T>) => void;
  onOpen?: (info: OpenInfo) => void;
  /** A failed attempt (network error, 408/429/5xx, idle timeout, broken body). */
  onError?: (error: unknown, info: ErrorInfo) => void;
  onStateChange?: (state: ConnectionState) => void;
  /** Consecutive failed attempts tolerated before giving up (default 10). */
  maxRetries?: number;
  /** Base reconnection delay until the server sends `retry:` (default 1000 ms). */
  retryMs?: number;
  /** Ceiling of the exponential backoff (default 30000 ms). */
  maxRetryMs?: number;
  /** Reconnect when no byte arrived for this long (default 45000 ms; 0 disables). */
  idleTimeoutMs?: number;
  /** Event types that end the subscription (default TERMINAL_EVENTS). */
  terminalEvents?: readonly string[];
  /** Default "GET". */
  method?: string;
  body?: BodyInit | null;
  /** Extra request headers. */
  headers?: Record<string, string>;
  credentials?: RequestCredentials;
  /** Injected fetch (instrumentation, tests). */
  fetch?: typeof fetch;
  /** Jitter source in [0, 1) (default Math.random). */
  random?: () => number;
}

/**
 * Follow a stream until it ends for good, resuming after every drop with Last-Event-ID.
 * Resolves with why it stopped; rejects only if onEvent throws.
 */
export declare function subscribe<T = unknown>(
  url: string | URL,
  options?: SubscribeOptions<T>,
): Promise<SubscribeResult>;

/**
 * The same stream as an async iterator; leaving the loop closes it. The generator's return value
 * is the SubscribeResult. options.onEvent is not used.
 */
export declare function events<T = unknown>(
  url: string | URL,
  options?: SubscribeOptions<T>,
): AsyncGenerator<StreamEvent<T>, SubscribeResult, void>;
