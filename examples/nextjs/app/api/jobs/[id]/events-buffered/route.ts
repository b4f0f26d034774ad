// WHAT NOT TO DO, kept on purpose: the stream proxy with the classic mistake of reading the
// upstream body whole before answering (`await upstream.text()`), so that every event arrives in
// one burst when the job ends. tests/browser/test_nextjs_streams.py shows the spacing check failing
// on it. Answers 404 unless the server runs with JOBSTREAM_EXAMPLE_PITFALLS=1.
import type { NextRequest } from "next/server";

import { pitfallsShown } from "@/lib/config";
import { problem } from "@/lib/jobs";
import { proxyJobStream } from "@/lib/stream-proxy";

export const dynamic = "force-dynamic";
export const runtime = "nodejs";

export async function GET(
  request: NextRequest,
  { params }: { params: Promise<{ id: string }> },
): Promise<Response> {
  if (!pitfallsShown()) return problem(404, "not_found", "Not found.");
  const { id } = await params;
  return proxyJobStream(request, id, { readWhole: true });
}
