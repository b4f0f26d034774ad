// The caller's jobs (GET, for the page's list) and a new job (POST): created here, on the server,
// with the caller's access token; the browser gets back only the job's own token and stream URL.
import { NextResponse, type NextRequest } from "next/server";

import { answerFor, callerApi, problem } from "@/lib/jobs";

export const dynamic = "force-dynamic";

/** What the page's list shows: no tokens (a job is opened through /api/jobs/{id}/token). */
export interface JobRow {
  job_id: string;
  type: string;
  status: string;
  created_at: number;
}

export async function GET(request: NextRequest): Promise<Response> {
  const api = await callerApi(request);
  if (api instanceof Response) return api;
  try {
    const page = await api.listJobs({ limit: 20 });
    const jobs: JobRow[] = page.jobs.map(({ job_id, type, status, created_at }) => ({
      job_id,
      type,
      status,
      created_at,
    }));
    return NextResponse.json({ jobs }, { headers: { "Cache-Control": "no-store" } });
  } catch (error) {
    return answerFor(error);
  }
}

export async function POST(request: NextRequest): Promise<Response> {
  const api = await callerApi(request);
  if (api instanceof Response) return api;
  let body: unknown;
  try {
    body = await request.json();
  } catch {
    return problem(400, "invalid_json", "The body must be JSON: {\"type\": ..., \"params\": {...}}.");
  }
  const { type, params } = (body ?? {}) as { type?: unknown; params?: unknown };
  if (typeof type !== "string" || !type) {
    return problem(422, "invalid_type", "type must be a job type's name.");
  }
  if (params !== undefined && (typeof params !== "object" || params === null || Array.isArray(params))) {
    return problem(422, "invalid_params", "params must be a JSON object.");
  }
  try {
    const job = await api.createJob(type, (params ?? {}) as Record<string, unknown>, {
      idempotencyKey: request.headers.get("idempotency-key") ?? undefined,
    });
    return NextResponse.json(
      { job_id: job.job_id, status: job.status, events_url: job.events_url, token: job.token },
      { status: 201 },
    );
  } catch (error) {
    return answerFor(error);
  }
}
