import { NextResponse, type NextRequest } from "next/server";

import { answerFor, callerApi } from "@/lib/jobs";

export const dynamic = "force-dynamic";

export async function GET(request: NextRequest): Promise<Response> {
  const api = await callerApi(request);
  if (api instanceof Response) return api;
  try {
    return NextResponse.json(await api.jobTypes());
  } catch (error) {
    return answerFor(error);
  }
}
