"use client";
// The signed-in page: start a job, watch the one the URL names, cancel it, and list the caller's
// jobs. Server state (job types, the job list, job tokens) goes through TanStack Query; the live
// job comes from useJobStream; a job that finishes invalidates the list, which refetches.
import { useQuery, useQueryClient } from "@tanstack/react-query";
import Link from "next/link";
import { useRouter } from "next/navigation";
import { useEffect, useState, type FormEvent } from "react";

import { JobPanel } from "./job-panel";
import { fetchJson, ApiProblem } from "./fetch-json";

/** How the browser reaches the stream: through this app's route handler, or the stream URL. */
export type StreamPath = "proxy" | "direct";

interface JobRow {
  job_id: string;
  type: string;
  status: string;
  created_at: number;
}

interface ParamsSchema {
  properties?: Record<string, { examples?: unknown[]; default?: unknown }>;
  required?: string[];
}

interface JobType {
  type: string;
  description?: string;
  params_schema?: ParamsSchema;
}

/** Params to start from: each field's first example (the demo types suggest a pace you can watch),
 * and the default of a required field that has none. */
function suggestedParams(schema: ParamsSchema | undefined): string {
  const suggested: Record<string, unknown> = {};
  for (const [name, field] of Object.entries(schema?.properties ?? {})) {
    if (field.examples?.length) suggested[name] = field.examples[0];
    else if (schema?.required?.includes(name) && "default" in field) suggested[name] = field.default;
  }
  return JSON.stringify(suggested);
}

export const JOBS_KEY = ["jobs"] as const;

function pageUrl(jobId: string | null, path: StreamPath): string {
  const query = new URLSearchParams();
  if (jobId) query.set("job", jobId);
  if (path === "direct") query.set("via", "direct");
  const search = query.toString();
  return search ? `/?${search}` : "/";
}

export function JobsApp({ jobId, path }: { jobId: string | null; path: StreamPath }) {
  const router = useRouter();
  const queryClient = useQueryClient();
  const types = useQuery({
    queryKey: ["job-types"],
    queryFn: () => fetchJson<{ types: JobType[] }>("/api/job-types"),
    staleTime: Infinity,
  });
  const jobs = useQuery({
    queryKey: JOBS_KEY,
    queryFn: () => fetchJson<{ jobs: JobRow[] }>("/api/jobs"),
  });
  const [type, setType] = useState("demo.batch");
  const [params, setParams] = useState('{"items": 60, "interval_ms": 1000}');
  const [formError, setFormError] = useState<string | null>(null);
  // A deployment without the demo types: start from the first type it lists.
  useEffect(() => {
    const listed = types.data?.types;
    if (listed?.length && !listed.some((option) => option.type === type)) {
      setType(listed[0].type);
      setParams(suggestedParams(listed[0].params_schema));
    }
  }, [types.data, type]);
  const [starting, setStarting] = useState(false);
  // Client-only state is read in an effect, never while rendering (the server has no tab).
  const [viewer, setViewer] = useState<string | null>(null);
  useEffect(() => {
    void import("jobstream-client").then(({ tabViewerId }) => setViewer(tabViewerId()));
  }, []);

  async function start(event: FormEvent) {
    event.preventDefault();
    setFormError(null);
    let parsed: unknown;
    try {
      parsed = JSON.parse(params);
    } catch {
      setFormError("Parameters must be JSON, for example {\"items\": 20}.");
      return;
    }
    setStarting(true);
    try {
      const created = await fetchJson<{ job_id: string; events_url: string; token: string }>(
        "/api/jobs",
        { method: "POST", body: JSON.stringify({ type, params: parsed }) },
      );
      // The direct path can use the token the create answered with (no second request).
      queryClient.setQueryData(["job-token", created.job_id], {
        token: created.token,
        events_url: created.events_url,
      });
      await queryClient.invalidateQueries({ queryKey: JOBS_KEY });
      router.push(pageUrl(created.job_id, path));
    } catch (error) {
      setFormError(error instanceof ApiProblem ? error.describe() : "The job could not be started.");
    } finally {
      setStarting(false);
    }
  }

  return (
    <div className="layout">
      <section aria-labelledby="start-heading">
        <h2 id="start-heading">Start a job</h2>
        <form onSubmit={start}>
          <label>
            Job type
            <select
              value={type}
              onChange={(event) => {
                const chosen = event.target.value;
                setType(chosen);
                const listed = types.data?.types.find((option) => option.type === chosen);
                setParams(suggestedParams(listed?.params_schema));
                setFormError(null);
              }}
            >
              {(types.data?.types ?? [{ type }]).map((option) => (
                <option key={option.type} value={option.type}>
                  {option.type}
                </option>
              ))}
            </select>
          </label>
          <label>
            Parameters (JSON)
            <textarea
              rows={3}
              value={params}
              onChange={(event) => setParams(event.target.value)}
              aria-invalid={formError !== null}
              aria-describedby={formError ? "form-error" : undefined}
            />
          </label>
          {formError ? (
            <p id="form-error" role="alert" className="error">
              {formError}
            </p>
          ) : null}
          <button type="submit" disabled={starting}>
            Start job
          </button>
        </form>
        {/* Links, not radio buttons: they work before the page has hydrated, too. */}
        <nav aria-label="Stream path" className="paths">
          Stream path:{" "}
          <Link href={pageUrl(jobId, "proxy")} aria-current={path === "proxy" ? "page" : undefined}>
            Through this app (same origin)
          </Link>{" "}
          <Link href={pageUrl(jobId, "direct")} aria-current={path === "direct" ? "page" : undefined}>
            Straight to the stream URL
          </Link>
        </nav>
      </section>

      {jobId ? <JobPanel key={`${jobId} ${path}`} jobId={jobId} path={path} /> : null}

      <section aria-labelledby="list-heading">
        <h2 id="list-heading">Your jobs</h2>
        {jobs.isError ? (
          <p role="alert" className="error">
            {jobs.error instanceof ApiProblem ? jobs.error.message : "The list could not be loaded."}
          </p>
        ) : null}
        <ul aria-label="Your jobs" aria-busy={jobs.isFetching}>
          {(jobs.data?.jobs ?? []).map((row) => (
            <li key={row.job_id} aria-current={row.job_id === jobId ? "true" : undefined}>
              <a href={pageUrl(row.job_id, path)} data-job-id={row.job_id}>
                {row.type}
              </a>{" "}
              <span className="status" data-status={row.status}>
                {row.status}
              </span>{" "}
              <time dateTime={new Date(row.created_at * 1000).toISOString()}>
                {new Date(row.created_at * 1000).toLocaleTimeString()}
              </time>
            </li>
          ))}
        </ul>
      </section>
      <footer>
        <p>
          Stream path: <span data-testid="path">{path}</span>. This tab watches as viewer{" "}
          <code data-testid="viewer">{viewer ?? "…"}</code>.
        </p>
      </footer>
    </div>
  );
}
