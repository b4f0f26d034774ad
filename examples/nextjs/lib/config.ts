// The example server's settings, from its environment (read at request time, so one build runs
// against any stack: `next build` once, then `next start` with these set).

/** The jobs API's origin: the local stack (`make run`) unless JOBSTREAM_API_URL says otherwise. */
export function apiUrl(): string {
  return (process.env.JOBSTREAM_API_URL ?? "http://127.0.0.1:8000").replace(/\/+$/, "");
}

/**
 * The buffering variant of the stream proxy (app/api/jobs/[id]/events-buffered) answers only when
 * JOBSTREAM_EXAMPLE_PITFALLS=1: it is kept so that a test shows the pitfall, not to be used.
 */
export function pitfallsShown(): boolean {
  return process.env.JOBSTREAM_EXAMPLE_PITFALLS === "1";
}
