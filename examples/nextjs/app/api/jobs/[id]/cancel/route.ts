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
    const job = await api.cancelJob(id);
    return NextResponse.json({ job_id: id, status: job.status }, { status: 202 });
  } catch (error) {
    return answerFor(error);
  }
}
