// The jobs API's calls (create, status, cancel, list, types), with the caller's access token for a
// deployment with caller authentication (JOBSTREAM_API_AUTH=jwt) and a job's own token where one
// opens the job.

/**
 * @typedef {string | (() => string | Promise<string>)} AccessToken
 *   The caller's token for an API with caller authentication (JOBSTREAM_API_AUTH=jwt), or a function
 *   returning a fresh one: it is called before every request, so it may refresh an expiring token.
 */

/** @typedef {{ code?: string, message?: string, details?: unknown }} ApiErrorBody */

/**
 * @typedef {object} CreatedJob
 * @property {string} job_id
 * @property {string} status
 * @property {string} events_url
 * @property {string} status_url
 * @property {string} token  The job's view token, for its stream and status (lives minutes).
 * @property {number} expires_in  Seconds the view token lives.
 * @property {string | null} control_token  ApiAuth none only: cancels the job and gets fresh view
 *   tokens (`jobToken`). Keep it to this page (never in a URL or a shared link).
 */

/**
 * @typedef {object} JobToken
 * @property {string} job_id
 * @property {string} token  A fresh view token.
 * @property {number} expires_in  Seconds it lives.
 * @property {string} events_url
 */

/**
 * @typedef {object} ListedJob
 * @property {string} job_id
 * @property {string} type
 * @property {string} status  As of the listing index (may lag a moment); status_url is exact.
 * @property {number} created_at  Epoch seconds.
 * @property {string} status_url
 * @property {string} events_url
 * @property {string} token  A fresh view token for the job's stream.
 * @property {number} expires_in  Seconds it lives.
 */

/**
 * @typedef {object} JobList
 * @property {ListedJob[]} jobs  Newest first.
 * @property {string | null} next_cursor  Pass as `cursor` for the next page.
 */

/**
 * @typedef {object} JobsApi
 * @property {(type: string, params?: Record<string, unknown>,
 *   options?: {idempotencyKey?: string}) => Promise<CreatedJob>} createJob
 * @property {(jobId: string, options?: {token?: string}) => Promise<Record<string, unknown>>} getJob
 *   `token`: the job's own token (not needed for the caller's own jobs under caller auth).
 * @property {(jobId: string, options?: {token?: string}) => Promise<Record<string, unknown>>} cancelJob
 *   `token`: the job's control token (ApiAuth none); under caller auth the owner's access token.
 * @property {(jobId: string, options?: {token?: string}) => Promise<JobToken>} jobToken
 *   A fresh view token: with the access token, or (ApiAuth none) `token` = the control token.
 * @property {(options?: {limit?: number, cursor?: string}) => Promise<JobList>} listJobs
 * @property {() => Promise<{types: Array<Record<string, unknown>>}>} jobTypes
 */

/** A refusal or failure of the jobs API: the HTTP status and the server's {code, message}. */
export class JobsApiError extends Error {
  /**
   * @param {number} status
   * @param {ApiErrorBody | undefined} body
   * @param {number | null} retryAfter  Seconds, from Retry-After (429, 503), else null.
   */
  constructor(status, body, retryAfter) {
    super(body?.message ? `HTTP ${status}: ${body.message}` : `HTTP ${status}`);
    this.name = "JobsApiError";
    this.status = status;
    this.code = body?.code ?? null;
    this.details = body?.details ?? null;
    this.retryAfter = retryAfter;
  }
}

/**
 * The jobs API's calls (create, status, cancel, list, types) for one deployment.
 *
 * With `accessToken` every call sends it as `Authorization: Bearer`, and a job's own token travels
 * as `?token=` where one is given; without it the job's token is the bearer, as the API expects
 * when it has no caller authentication.
 *
 * @param {{baseUrl?: string, accessToken?: AccessToken, fetch?: typeof fetch}} [options]
 *   `baseUrl`: the API's origin ("" for this page's own).
 * @returns {JobsApi}
 */
export function createJobsApi(options = {}) {
  const base = (options.baseUrl ?? "").replace(/\/+$/, "");
  const doFetch = options.fetch ?? globalThis.fetch.bind(globalThis);
  const accessToken = options.accessToken;

  /** @returns {Promise<string | null>} */
  async function access() {
    if (accessToken === undefined || accessToken === null) return null;
    return typeof accessToken === "function" ? await accessToken() : accessToken;
  }

  /**
   * @param {string} method
   * @param {string} path
   * @param {{jobToken?: string, ownerOnly?: boolean,
   *   query?: Record<string, string | number | undefined>,
   *   body?: unknown, headers?: Record<string, string>}} [request]
   * @returns {Promise<any>}
   */
  async function call(method, path, request = {}) {
    const caller = await access();
    /** @type {Record<string, string>} */
    const headers = { Accept: "application/json", ...(request.headers ?? {}) };
    const query = new URLSearchParams();
    for (const [name, value] of Object.entries(request.query ?? {})) {
      if (value !== undefined && value !== null) query.set(name, String(value));
    }
    if (caller) {
      headers.Authorization = `Bearer ${caller}`;
      // Where only the owner may act, the caller's token is all that counts: no job token.
      if (request.jobToken && !request.ownerOnly) query.set("token", request.jobToken);
    } else if (request.jobToken) {
      headers.Authorization = `Bearer ${request.jobToken}`;
    }
    /** @type {RequestInit} */
    const init = { method, headers };
    if (request.body !== undefined) {
      headers["Content-Type"] = "application/json";
      init.body = JSON.stringify(request.body);
    }
    const search = query.toString();
    const response = await doFetch(`${base}${path}${search ? `?${search}` : ""}`, init);
    /** @type {any} */
    let payload;
    try {
      payload = await response.json();
    } catch {
      payload = undefined;
    }
    if (!response.ok) {
      const retryAfter = Number.parseInt(response.headers.get("retry-after") ?? "", 10);
      throw new JobsApiError(
        response.status,
        payload?.error,
        Number.isFinite(retryAfter) ? retryAfter : null,
      );
    }
    return payload;
  }

  const job = (/** @type {string} */ id) => `/jobs/${encodeURIComponent(id)}`;
  return {
    /**
     * @param {string} type
     * @param {Record<string, unknown>} [params]
     * @param {{idempotencyKey?: string}} [opts]
     */
    createJob(type, params = {}, opts = {}) {
      /** @type {Record<string, string>} */
      const headers = {};
      if (opts.idempotencyKey) headers["Idempotency-Key"] = opts.idempotencyKey;
      return call("POST", "/jobs", { body: { type, params }, headers });
    },
    /**
     * @param {string} jobId
     * @param {{token?: string}} [opts]  the job's own token, if any
     */
    getJob(jobId, opts = {}) {
      return call("GET", job(jobId), { jobToken: opts.token });
    },
    /**
     * @param {string} jobId
     * @param {{token?: string}} [opts]
     */
    cancelJob(jobId, opts = {}) {
      return call("POST", `${job(jobId)}/cancel`, { jobToken: opts.token, ownerOnly: true });
    },
    /**
     * A fresh view token for the job (see tokenRefresher, which calls this before expiry).
     * @param {string} jobId
     * @param {{token?: string}} [opts]  the job's control token (ApiAuth none)
     */
    jobToken(jobId, opts = {}) {
      return call("POST", `${job(jobId)}/token`, { jobToken: opts.token, ownerOnly: true });
    },
    /**
     * The caller's jobs, newest first.
     * @param {{limit?: number, cursor?: string}} [opts]
     */
    listJobs(opts = {}) {
      return call("GET", "/jobs", { query: { limit: opts.limit, cursor: opts.cursor } });
    },
    jobTypes() {
      return call("GET", "/jobs/types");
    },
  };
}
