// A fresh token for one of the caller's jobs, for the browser's direct stream (the stream URL on
// the stream function's own origin): scoped to the job and short-lived, unlike the access token.
import { NextResponse, type NextRequest } from "next/server";

import { answerFor, callerApi } from "@/lib/jobs";

export const dynamic = "force-dynamic";

export async function POST(
  request: NextRequest,
  { params }: { params: Promise<{ id: string }> },
): Promise<Response> {
  const api = await callerApi(request);
  if (api instanceof Response) return api;
  const { id } = await params;
  try {
    const grant = await api.jobToken(id);
    return NextResponse.json(
      { token: grant.token, expires_in: grant.expires_in, events_url: grant.events_url },
      { headers: { "Cache-Control": "no-store" } },
    );
  } catch (error) {
    return answerFor(error);
  }
}
