export interface HttpResult<T = unknown> {
  status: number;
  body: T;
  headers: Headers;
}

/** A tiny JSON client over fetch: tests read status and body without ceremony. */
export async function http<T = unknown>(
  method: string,
  url: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<HttpResult<T>> {
  const raw = typeof body === 'string' ? body : body === undefined ? undefined : JSON.stringify(body);
  const response = await fetch(url, {
    method,
    headers: raw === undefined ? headers : { 'content-type': 'application/json', ...headers },
    body: raw,
    signal: AbortSignal.timeout(15_000),
  });
  const text = await response.text();
  let parsed: unknown = text;
  try {
    parsed = JSON.parse(text);
  } catch {
    // non-JSON bodies (metrics) stay text
  }
  return { status: response.status, body: parsed as T, headers: response.headers };
}

export interface ValidationBody {
  statusCode: number;
  message: string;
  errors: { field: string; message: string }[];
}

/** The fields a 400 names, for assertions like `expect(fields(res)).toContain('items.0.quantity')`. */
export function fields(result: HttpResult): string[] {
  return ((result.body as ValidationBody).errors ?? []).flatMap((e) => e.field.split(', '));
}
