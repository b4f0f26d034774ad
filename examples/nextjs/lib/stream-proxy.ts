// The job's stream through this app's own origin: the browser asks /api/jobs/{id}/events (same
// origin: no CORS, no token in the browser), this route handler gets a job token with the caller's
// access token and returns the stream function's body AS IT ARRIVES.
//
// What makes a proxied event stream arrive in one burst at the end instead, avoided here: reading
// the upstream body whole (await response.text()) instead of returning its ReadableStream, and a
// layer in front that compresses or buffers it (`next start` gzips text/event-stream unless it
// says `Cache-Control: no-transform`: Next 16 flushes each chunk, a CDN's gzip may not; nginx
// buffers unless `X-Accel-Buffering: no`). docs/frontend.md, "Next.js", explains each.
import type { NextRequest } from "next/server";

import { answerFor, callerApi, problem } from "./jobs";

/** The headers that keep every layer between here and the browser from holding events back. */
export const STREAM_HEADERS: Readonly<Record<string, string>> = Object.freeze({
  "Content-Type": "text/event-stream; charset=utf-8",
  // no-transform: compression (Next's own, a CDN's) must leave the body alone; no-cache: nothing
  // may answer a later request from a stored copy.
  "Cache-Control": "no-cache, no-transform",
  // nginx (and hosts built on it) buffer proxied bodies unless told not to.
  "X-Accel-Buffering": "no",
});

/** Headers a resuming client sends that the stream function must see. */
const FORWARDED = ["last-event-id", "viewer-id"] as const;

export interface ProxyOptions {
  /** The pitfall, kept only for the test that shows it buffers (app/api/jobs/[id]/events-buffered):
   * read the upstream body whole, then answer. */
  readWhole?: boolean;
}

export async function proxyJobStream(
  request: NextRequest,
  jobId: string,
  options: ProxyOptions = {},
): Promise<Response> {
  const api = await callerApi(request);
  if (api instanceof Response) return api;
  let grant;
  try {
    // One call per connection: the token is short-lived and scoped to this job, and each window's
    // reconnect gets a fresh one, so nothing here has to track its expiry.
    grant = await api.jobToken(jobId);
  } catch (error) {
    return answerFor(error);
  }
  const headers = new Headers({
    Accept: "text/event-stream",
    Authorization: `Bearer ${grant.token}`,
  });
  for (const name of FORWARDED) {
    const value = request.headers.get(name);
    if (value !== null) headers.set(name, value);
  }
  // A native EventSource cannot send headers: it puts them in the query (as the stream accepts).
  const query = request.nextUrl.searchParams;
  const upstreamUrl = new URL(grant.events_url);
  for (const name of ["lastEventId", "viewer"]) {
    const value = query.get(name);
    if (value !== null) upstreamUrl.searchParams.set(name, value);
  }
  let upstream: Response;
  try {
    upstream = await fetch(upstreamUrl, {
      headers,
      cache: "no-store",
      // The browser leaving (reload, unmount) aborts the upstream request too.
      signal: request.signal,
    });
  } catch (error) {
    if (request.signal.aborted) return new Response(null, { status: 499 });
    console.error("stream unreachable:", error instanceof Error ? error.message : error);
    return problem(502, "stream_unreachable", "The job's stream did not answer.");
  }
  if (upstream.status !== 200 || upstream.body === null) {
    // 204 (job over), 4xx/429/503 before any byte: passed on as they are, Retry-After included.
    const passed = new Headers();
    for (const name of ["content-type", "retry-after", "www-authenticate"]) {
      const value = upstream.headers.get(name);
      if (value !== null) passed.set(name, value);
    }
    const body = upstream.status === 204 ? null : await upstream.arrayBuffer();
    return new Response(body, { status: upstream.status, headers: passed });
  }
  if (options.readWhole) {
    return new Response(await upstream.text(), { status: 200, headers: STREAM_HEADERS });
  }
  return new Response(upstream.body, { status: 200, headers: STREAM_HEADERS });
}
