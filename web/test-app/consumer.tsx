// Type-checked against the package's generated .d.ts files (types/), reached through the exports
// map by the package's own name: what an app's TypeScript sees after `npm install`.
import { createJobStream, subscribe, TERMINAL_EVENTS, type JobView } from "jobstream-client";
import { JobProgress, JobStatus, jobStatusText, useJobStream } from "jobstream-client/react";

export function Consumer({ url, token }: { url: string; token: string }) {
  const view: JobView = useJobStream(url, { token, from: "start" });
  const failed: number = view.counts.failed;
  const keys: string[] = view.items.map((item) => item.key);
  // @ts-expect-error: percent is a number or null, never a string
  const wrong: string = view.percent;
  return <p>{[failed, keys.length, wrong].join(" ")}</p>;
}

export function Accessible({ url }: { url: string }) {
  const view = useJobStream(url);
  const said: string = jobStatusText(view);
  return (
    <>
      <JobProgress view={view} label={said} className="bar" data-testid="bar" />
      <JobStatus view={view} id="status" />
      {/* @ts-expect-error: the view is required */}
      <JobStatus />
    </>
  );
}

export async function follow(url: string): Promise<string> {
  const stream = createJobStream(url, { getToken: async ({ refused }) => (refused ? "b" : "a") });
  stream.listen((view) => view.status);
  const result = await subscribe(url, { token: "t", onEvent: (event) => event.json });
  const terminal: readonly string[] = TERMINAL_EVENTS;
  return `${result.reason} ${terminal.length}`;
}
