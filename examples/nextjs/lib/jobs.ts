// The jobs API as the signed-in caller, from route handlers only: every call carries the caller's
// access token from the session cookie, so no secret and no access token reaches the browser.
import { createJobsApi, JobsApiError, type JobsApi } from "jobstream-client";
import { NextResponse, type NextRequest } from "next/server";

import { callerAccessToken } from "./auth";
import { apiUrl } from "./config";

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
export async function callerApi(request: NextRequest): Promise<JobsApi | NextResponse> {
  const accessToken = await callerAccessToken(request);
  if (!accessToken) {
    return problem(401, "signed_out", "Sign in (again) to start and follow jobs.");
  }
  return createJobsApi({ baseUrl: apiUrl(), accessToken });
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
