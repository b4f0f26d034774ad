// The stream as an async iterator, on top of subscribe().

import { subscribe } from "./subscribe.js";

/**
 * The same stream as an async iterator: `for await (const event of events(url, options))`.
 * Leaving the loop (break, return, throw) closes the stream; the generator's return value is the
 * SubscribeResult. `options.onEvent` is not used.
 *
 * @param {string | URL} url
 * @param {import("./subscribe.js").SubscribeOptions} [options]
 * @returns {AsyncGenerator<import("./event-types.js").StreamEvent,
 *   import("./subscribe.js").SubscribeResult, void>}
 */
export async function* events(url, options = {}) {
  const controller = new AbortController();
  const outer = options.signal;
  const forwardAbort = () => controller.abort(outer?.reason);
  if (outer?.aborted) controller.abort(outer.reason);
  outer?.addEventListener("abort", forwardAbort, { once: true });
  /** @type {import("./event-types.js").StreamEvent[]} */
  const queue = [];
  /** @type {(() => void) | null} */
  let wake = null;
  let finished = false;
  /** @type {import("./subscribe.js").SubscribeResult | undefined} */
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
  })
    .then(
      (result) => {
        outcome = result;
      },
      (error) => {
        failure = { error };
      },
    )
    .finally(() => {
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
        return /** @type {import("./subscribe.js").SubscribeResult} */ (outcome);
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
