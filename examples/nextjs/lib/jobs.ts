// The jobs API as the signed-in caller, from route handlers only: every call carries the caller's
// access token from the session cookie, so no secret and no access token reaches the browser.
import { createJobsApi, JobsApiError, type JobsApi } from "jobstream-client";
import { NextResponse, type NextRequest } from "next/server";

import { callerAccessToken } from "./auth";
import { apiUrl } from "./config";

/** POST /jobs/{id}/token's answer: a fresh token for one job's stream, and where the stream is. */
export interface JobToken {
  job_id: string;
  token: string;
  expires_in: number;
  events_url: string;
}

export interface CallerApi extends JobsApi {
  /** A fresh token for one of the caller's jobs (the owner's right; 404 for anyone else's job). */
  jobToken(jobId: string): Promise<JobToken>;
}

/** An error answer in the API's own shape, {"error": {"code", "message"}}. */
export function problem(
  status: number,
  code: string,
  message: string,
  headers?: HeadersInit,
): NextResponse {
  return NextResponse.json({ error: { code, message } }, { status, headers });
}

/** The jobs API for the caller of `request`, or the 401 to answer when nobody is signed in. */
export async function callerApi(request: NextRequest): Promise<CallerApi | NextResponse> {
  const accessToken = await callerAccessToken(request);
  if (!accessToken) {
    return problem(401, "signed_out", "Sign in (again) to start and follow jobs.");
  }
  const base = apiUrl();
  const jobs = createJobsApi({ baseUrl: base, accessToken });
  return {
    ...jobs,
    async jobToken(jobId) {
      const response = await fetch(`${base}/jobs/${encodeURIComponent(jobId)}/token`, {
        method: "POST",
        headers: { Accept: "application/json", Authorization: `Bearer ${accessToken}` },
        cache: "no-store",
      });
      const body = await response.json().catch(() => undefined);
      if (!response.ok) {
        const retryAfter = Number.parseInt(response.headers.get("retry-after") ?? "", 10);
        throw new JobsApiError(
          response.status,
          body?.error,
          Number.isFinite(retryAfter) ? retryAfter : null,
        );
      }
      return body as JobToken;
    },
  };
}

/**
 * What to answer the browser for a failed API call: the API's refusal as it said it (status, code,
 * message, Retry-After), except that a refused access token means "sign in again"; an API that
 * cannot be reached is a 502 that says so. Never a stack trace, never a token.
 */
export function answerFor(error: unknown): NextResponse {
  if (error instanceof JobsApiError) {
    if (error.status === 401) {
      return problem(401, "signed_out", "Your sign-in has expired: sign in again.");
    }
    const headers: Record<string, string> = {};
    if (error.retryAfter !== null) headers["Retry-After"] = String(error.retryAfter);
    return NextResponse.json(
      {
        error: {
          code: error.code ?? "api_error",
          message: error.message.replace(/^HTTP \d+: /, ""),
          details: error.details ?? undefined,
        },
      },
      { status: error.status, headers },
    );
  }
  console.error("jobs API unreachable:", error instanceof Error ? error.message : error);
  return problem(502, "api_unreachable", `The jobs API at ${apiUrl()} did not answer.`);
}
