// A React page as a user of the package writes one: a client component that shows a job with
// useJobStream. Driven by tests/browser/test_react_hook.py through the query string and
// window.harness (follow another job, change the token, unmount, show the job twice).

import { StrictMode, useCallback, useEffect, useState } from "react";
import { createRoot } from "react-dom/client";
import { createJobsApi, tokenRefresher } from "jobstream-client";
import { useJobStream } from "jobstream-client/react";

/**
 * @typedef {object} Job
 * @property {string} eventsUrl
 * @property {string} token
 * @property {string} [refreshUrl]  Where getToken fetches a fresh token (the app's own endpoint).
 * @property {string} [from]
 * @property {(request: import("jobstream-client").TokenRequest) => Promise<string>} [refresher]  The package's
 *   tokenRefresher against a real jobs API (window.jobstreamApi, set by the test before load).
 */

/** What the tests read: getToken's calls, and how often a JobProgress effect ran (StrictMode
 * runs each effect twice on mount in development, which the tests check really happened). */
const record = { tokenRequests: /** @type {boolean[]} */ ([]), mounts: 0 };

/** @param {{ job: Job, name: string }} props */
function JobProgress({ job, name }) {
  const { refreshUrl, refresher, token } = job;
  const getToken = useCallback(
    /** @param {import("jobstream-client").TokenRequest} request */
    async (request) => {
      const { refused } = request;
      record.tokenRequests.push(refused);
      if (refresher) return refresher(request);
      if (!refused || !refreshUrl) return token;
      const response = await fetch(refreshUrl);
      return (await response.json()).token;
    },
    [refreshUrl, refresher, token],
  );
  useEffect(() => {
    record.mounts += 1;
  }, []);
  const view = useJobStream(
    job.eventsUrl,
    refreshUrl || refresher ? { getToken, from: job.from } : { token, from: job.from },
  );
  return (
    <section aria-label={name}>
      <progress max={100} value={view.percent ?? undefined} aria-label="Progress" />
      <p role="status">
        {view.status} · {view.connection}
      </p>
      <ul>
        {view.items.map((item) => (
          <li key={item.id}>
            {item.ok ? "✓" : "✗"} {item.key}
          </li>
        ))}
      </ul>
      <pre data-view="">{JSON.stringify(view)}</pre>
    </section>
  );
}

/** @param {{ initial: Job | null }} props */
function App({ initial }) {
  const [job, setJob] = useState(initial);
  const [shown, setShown] = useState(true);
  const [twice, setTwice] = useState(false);
  useEffect(() => {
    Object.assign(window, {
      harness: {
        record,
        /** @param {Job} next */
        follow: (next) => setJob(next),
        /** @param {string} token */
        setToken: (token) => setJob((current) => (current ? { ...current, token } : current)),
        unmount: () => setShown(false),
        showTwice: () => setTwice(true),
      },
    });
  }, []);
  if (!job || !shown) return <p>nothing to show</p>;
  return (
    <main>
      <JobProgress job={job} name="job" />
      {twice ? <JobProgress job={job} name="job again" /> : null}
    </main>
  );
}

const query = new URLSearchParams(window.location.search);
const eventsUrl = query.get("events_url");
/** A real jobs API to refresh view tokens from (never in the URL: it may hold a control token).
 * @type {{ baseUrl: string, jobId: string, controlToken?: string } | undefined} */
const realApi = /** @type {any} */ (window).jobstreamApi;
/** @type {Job | null} */
const initial = eventsUrl
  ? {
      eventsUrl,
      token: query.get("token") ?? "",
      refreshUrl: query.get("refresh_url") ?? undefined,
      from: query.get("from") ?? undefined,
      refresher: realApi
        ? tokenRefresher({
            api: createJobsApi({ baseUrl: realApi.baseUrl }),
            jobId: realApi.jobId,
            token: query.get("token") ?? undefined,
            controlToken: realApi.controlToken,
          })
        : undefined,
    }
  : null;
const app = <App initial={initial} />;
createRoot(/** @type {HTMLElement} */ (document.getElementById("root"))).render(
  query.get("strict") === "0" ? app : <StrictMode>{app}</StrictMode>,
);
