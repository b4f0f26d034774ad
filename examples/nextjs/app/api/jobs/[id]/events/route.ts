// The job's stream, same origin, passed through as it arrives (lib/stream-proxy.ts says how).
import type { NextRequest } from "next/server";

import { proxyJobStream } from "@/lib/stream-proxy";

// Never rendered ahead or cached: every request is a live stream.
export const dynamic = "force-dynamic";
// Node.js, not Edge: a stream can stay open for the stream function's whole window.
export const runtime = "nodejs";

export async function GET(
  request: NextRequest,
  { params }: { params: Promise<{ id: string }> },
): Promise<Response> {
  const { id } = await params;
  return proxyJobStream(request, id);
}
