// jobstream browser client: reads a job's Server-Sent Events stream with fetch and resumes it
// after any drop, so a consumer sees every event exactly once, in order; and folds the events into
// the job's view (status, progress, items, log, text, result).
//
// The package's framework-free entry ("jobstream-client" in package.json). Plain ES modules, no
// dependencies, no build step: `import { subscribe } from "/jobstream-client.js"` works in a
// browser as is. The React hook is the "jobstream-client/react" entry (src/react.js). Types are
// generated from the JSDoc (npm run build:types); `tsc --noEmit` checks them in `make test`.

export { createParser } from "./src/parser.js";
export { subscribe } from "./src/subscribe.js";
export { events } from "./src/iterate.js";
export { TERMINAL_EVENTS } from "./src/event-types.js";
export { backoffDelay } from "./src/backoff.js";
export {
  DEFAULT_LIMITS,
  EMPTY_VIEW,
  isFinished,
  reduceView,
  withConnection,
  withOutcome,
} from "./src/view.js";
export { createJobStream } from "./src/job-stream.js";
export { tabViewerId } from "./src/viewer.js";
export { createJobsApi, JobsApiError } from "./src/jobs-api.js";
export { tokenExpiresAt, tokenRefresher } from "./src/job-token.js";

/** @typedef {import("./src/parser.js").ParsedEvent} ParsedEvent */
/** @typedef {import("./src/parser.js").ParserOptions} ParserOptions */
/** @typedef {import("./src/parser.js").Parser} Parser */
/** @typedef {import("./src/event-types.js").StreamEvent} StreamEvent */
/** @typedef {import("./src/http.js").ErrorBody} ErrorBody */
/** @typedef {import("./src/subscribe.js").ConnectionState} ConnectionState */
/** @typedef {import("./src/subscribe.js").StopReason} StopReason */
/** @typedef {import("./src/subscribe.js").SubscribeOptions} SubscribeOptions */
/** @typedef {import("./src/subscribe.js").SubscribeResult} SubscribeResult */
/** @typedef {import("./src/subscribe.js").OpenInfo} OpenInfo */
/** @typedef {import("./src/subscribe.js").ErrorInfo} ErrorInfo */
/** @typedef {import("./src/subscribe.js").TokenRequest} TokenRequest */
/** @typedef {import("./src/view.js").JobView} JobView */
/** @typedef {import("./src/view.js").JobStatus} JobStatus */
/** @typedef {import("./src/view.js").Item} Item */
/** @typedef {import("./src/view.js").LogLine} LogLine */
/** @typedef {import("./src/view.js").Phase} Phase */
/** @typedef {import("./src/view.js").StreamEnd} StreamEnd */
/** @typedef {import("./src/view.js").ViewLimits} ViewLimits */
/** @typedef {import("./src/job-stream.js").JobStream} JobStream */
/** @typedef {import("./src/job-stream.js").JobStreamOptions} JobStreamOptions */
/** @typedef {import("./src/jobs-api.js").AccessToken} AccessToken */
/** @typedef {import("./src/jobs-api.js").JobsApi} JobsApi */
/** @typedef {import("./src/jobs-api.js").CreatedJob} CreatedJob */
/** @typedef {import("./src/jobs-api.js").ListedJob} ListedJob */
/** @typedef {import("./src/jobs-api.js").JobList} JobList */
/** @typedef {import("./src/jobs-api.js").JobToken} JobToken */
/** @typedef {import("./src/job-token.js").TokenRefresherOptions} TokenRefresherOptions */
