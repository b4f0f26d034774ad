"use client";
// One job, live: useJobStream folds its events into a view (progress, phase, items, log, result);
// JobProgress and JobStatus (from the package) show it accessibly. The stream comes either through
// this app (/api/jobs/{id}/events: same origin, the session cookie, no token in the browser) or
// straight from the stream function's URL with the job's own short-lived token.
import { useQuery, useQueryClient } from "@tanstack/react-query";
import { tokenExpiresAt } from "jobstream-client";
import { JobProgress, JobStatus, useJobStream } from "jobstream-client/react";
import { useCallback, useEffect, useState } from "react";

import { ApiProblem, fetchJson } from "./fetch-json";
import { JOBS_KEY, type StreamPath } from "./jobs-app";

interface JobToken {
  token: string;
  events_url: string;
}

const FINISHED = new Set(["succeeded", "failed", "cancelled"]);
const RENEW_MARGIN_MS = 60_000;

export function JobPanel({ jobId, path }: { jobId: string; path: StreamPath }) {
  const queryClient = useQueryClient();
  const direct = path === "direct";
  const tokenKey = ["job-token", jobId];
  // Direct only: the job's token and stream URL, from this app's server (which asks the API with
  // the caller's access token). Renewed the same way before it expires (getToken below).
  const grant = useQuery({
    queryKey: tokenKey,
    queryFn: () => fetchJson<JobToken>(`/api/jobs/${encodeURIComponent(jobId)}/token`, { method: "POST" }),
    enabled: direct,
    staleTime: Infinity,
    retry: false,
  });
  const getToken = useCallback(
    async ({ refused }: { refused: boolean }) => {
      // The held token while it has a minute left (view tokens live minutes; the package reads
      // their expiry), else a fresh one, and always a fresh one after the stream refused it.
      const known = queryClient.getQueryData<JobToken>(tokenKey);
      const expiresAt = tokenExpiresAt(known?.token);
      if (!refused && known && (expiresAt === null || expiresAt - Date.now() > RENEW_MARGIN_MS)) {
        return known.token;
      }
      const fresh = await queryClient.fetchQuery({
        queryKey: tokenKey,
        queryFn: () => fetchJson<JobToken>(`/api/jobs/${encodeURIComponent(jobId)}/token`, { method: "POST" }),
        staleTime: 0,
      });
      return fresh.token;
    },
    [jobId, queryClient],
  );
  const eventsUrl = direct
    ? (grant.data?.events_url ?? null)
    : `/api/jobs/${encodeURIComponent(jobId)}/events`;
  const view = useJobStream(eventsUrl, direct ? { getToken } : {});

  // A finished job changes the list (its status): refetch it once, when it finishes.
  const finished = FINISHED.has(view.status);
  useEffect(() => {
    if (finished) void queryClient.invalidateQueries({ queryKey: JOBS_KEY });
  }, [finished, queryClient]);

  const [cancelError, setCancelError] = useState<string | null>(null);
  const [cancelling, setCancelling] = useState(false);
  async function cancel() {
    setCancelError(null);
    setCancelling(true);
    try {
      await fetchJson(`/api/jobs/${encodeURIComponent(jobId)}/cancel`, { method: "POST" });
    } catch (error) {
      setCancelError(error instanceof ApiProblem ? error.message : "The job could not be cancelled.");
    } finally {
      setCancelling(false);
    }
  }

  return (
    <section aria-labelledby="job-heading" className="job" data-job-id={jobId}>
      <h2 id="job-heading">
        Job <code>{jobId}</code>
      </h2>
      {grant.isError ? (
        <p role="alert" className="error">
          {grant.error instanceof ApiProblem ? grant.error.message : "The job could not be opened."}
        </p>
      ) : null}
      <JobProgress view={view} label="Job progress" className="progress" />
      <JobStatus view={view} className="status-line" />
      <dl className="facts">
        <dt>Status</dt>
        <dd data-testid="status">{view.status}</dd>
        <dt>Progress</dt>
        <dd data-testid="percent">{view.percent === null ? "…" : `${Math.round(view.percent)}%`}</dd>
        <dt>Phase</dt>
        <dd data-testid="phase">
          {view.phase
            ? view.phase.index !== null && view.phase.count !== null
              ? `${view.phase.name} (${view.phase.index + 1} of ${view.phase.count})`
              : view.phase.name
            : "—"}
        </dd>
        <dt>Items</dt>
        <dd data-testid="counts">
          {view.counts.succeeded} succeeded, {view.counts.failed} failed
        </dd>
        <dt>Connection</dt>
        <dd data-testid="connection">{view.connection}</dd>
        <dt>Events</dt>
        <dd data-testid="events" data-last-event-id={view.lastEventId}>
          {view.events}
        </dd>
      </dl>
      <button type="button" onClick={cancel} disabled={finished || cancelling}>
        Cancel job
      </button>
      {cancelError ? (
        <p role="alert" className="error">
          {cancelError}
        </p>
      ) : null}
      {view.result !== undefined ? (
        <>
          <h3>Result</h3>
          <pre data-testid="result">{JSON.stringify(view.result)}</pre>
        </>
      ) : null}
      <div className="columns">
        <div>
          <h3 id="items-heading">Items</h3>
          {view.items.length === 0 ? <p className="none">None yet.</p> : null}
          <ol aria-labelledby="items-heading" className="items">
            {view.items.map((item) => (
              <li key={item.id + item.key} data-ok={item.ok}>
                {item.key}: {item.ok ? "ok" : `failed (${item.reason ?? "no reason given"})`}
              </li>
            ))}
          </ol>
        </div>
        <div>
          <h3 id="log-heading">Log</h3>
          {view.log.length === 0 ? <p className="none">None yet.</p> : null}
          <ol aria-labelledby="log-heading" className="log">
            {view.log.map((line) => (
              <li key={line.id} data-level={line.level}>
                [{line.level}] {line.message}
              </li>
            ))}
          </ol>
        </div>
      </div>
    </section>
  );
}
