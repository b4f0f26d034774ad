// The page's calls to its own route handlers: JSON in, JSON out, the server's {"error": {...}}
// message kept for the page to show.

/** One refused field, as the API names it: where (`loc`) and why (`msg`). */
export interface FieldProblem {
  loc: (string | number)[];
  msg: string;
}

export class ApiProblem extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly fields: FieldProblem[] = [],
  ) {
    super(message);
    this.name = "ApiProblem";
  }

  /** The message, then each refused field by its name in the params ("items: Input should ..."). */
  describe(): string {
    const fields = this.fields.map((field) => {
      let loc = field.loc;
      if (loc[0] === "body") loc = loc.slice(1);
      if (loc[0] === "params" && loc.length > 1) loc = loc.slice(1);
      return `${loc.join(".")}: ${field.msg}`;
    });
    return [this.message, ...fields].join("; ");
  }
}

export async function fetchJson<T>(url: string, init: RequestInit = {}): Promise<T> {
  const response = await fetch(url, {
    ...init,
    headers: { Accept: "application/json", "Content-Type": "application/json", ...init.headers },
    cache: "no-store",
  });
  const body = await response.json().catch(() => undefined);
  if (!response.ok) {
    const error = body?.error as { code?: string; message?: string; details?: unknown } | undefined;
    const fields = Array.isArray(error?.details)
      ? (error.details as FieldProblem[]).filter((field) => Array.isArray(field?.loc))
      : [];
    throw new ApiProblem(
      response.status,
      error?.code ?? "http_error",
      error?.message ?? `HTTP ${response.status}`,
      fields,
    );
  }
  return body as T;
}
