// A job's view token kept fresh: view tokens live minutes (the server's JOBSTREAM_TOKEN_TTL_SECONDS),
// so a client gets a new one (POST /jobs/{id}/token) before the one it holds expires, and again
// after a refusal (401/403: expired, or its key rotated away twice). What refreshes is the caller's
// access token under caller authentication, else the job's control token, which POST /jobs returns
// to its creator only and which the server accepts in the Authorization header only, never in a URL.

/**
 * When the token stops opening its job (epoch milliseconds), or null if it does not say. The
 * format (`v2.<key id>.<scope>.<expires_at>.<mac>`) is the server's, public on purpose.
 * @param {string | null | undefined} token
 * @returns {number | null}
 */
export function tokenExpiresAt(token) {
  const parts = (token ?? "").split(".");
  if (parts.length !== 5 || parts[0] !== "v2" || !/^[0-9]{1,12}$/.test(parts[3])) return null;
  return Number(parts[3]) * 1000;
}

/**
 * @typedef {object} TokenRefresherOptions
 * @property {import("./jobs-api.js").JobsApi} api  Its access token (if any) refreshes.
 * @property {string} jobId
 * @property {string} [token]         The view token held now (used until it nears its expiry).
 * @property {string} [controlToken]  ApiAuth none: the job's control token, which refreshes.
 * @property {number} [marginSeconds] Refresh a token expiring within this many seconds (60).
 * @property {() => number} [now]     Epoch milliseconds (tests).
 */

/**
 * A `getToken` for `subscribe`, `createJobStream` and `useJobStream`: the held view token while it
 * has more than `marginSeconds` left, else a fresh one; after a refusal always a fresh one. Each
 * (re)connect asks, so a stream reconnecting every window never sends an expiring token.
 * @param {TokenRefresherOptions} options
 * @returns {(request: import("./subscribe.js").TokenRequest) => Promise<string>}
 */
export function tokenRefresher(options) {
  const now = options.now ?? Date.now;
  const marginMs = (options.marginSeconds ?? 60) * 1000;
  let token = options.token ?? null;
  /** @type {Promise<string> | null} */
  let pending = null;

  function fresh() {
    // One request for everyone asking at once (two components, a refusal and a timer).
    pending ??= options.api
      .jobToken(options.jobId, { token: options.controlToken })
      .then((answer) => {
        token = answer.token;
        return answer.token;
      })
      .finally(() => {
        pending = null;
      });
    return pending;
  }

  return async (request) => {
    const expiresAt = tokenExpiresAt(token);
    if (!token || request.refused || (expiresAt !== null && expiresAt - now() <= marginMs)) {
      return fresh();
    }
    return token;
  };
}
