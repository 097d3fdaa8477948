/** One field the service found invalid, with why. */
export interface FieldError {
  readonly field: string;
  readonly messages: readonly string[];
}

/**
 * A problem+json answer (RFC 9457) of a Kairos service, as an error: `status` and the stable
 * `code` to switch on, `title` and `detail` for people, `errors` per invalid field, and the rest
 * of the body (`problems`, `correlationId`…) in `body`.
 */
export class KairosApiError extends Error {
  readonly status: number;
  readonly code: string;
  readonly title: string;
  readonly detail?: string;
  readonly errors: readonly FieldError[];
  readonly correlationId?: string;

  constructor(
    status: number,
    readonly body: Readonly<Record<string, unknown>>,
  ) {
    const title = typeof body.title === 'string' ? body.title : `HTTP ${status}`;
    const detail = typeof body.detail === 'string' ? body.detail : undefined;
    super(detail ? `${title}: ${detail}` : title);
    this.name = 'KairosApiError';
    this.status = status;
    this.code = typeof body.code === 'string' ? body.code : `HTTP_${status}`;
    this.title = title;
    this.detail = detail;
    this.errors = Array.isArray(body.errors) ? (body.errors as FieldError[]) : [];
    this.correlationId = typeof body.correlationId === 'string' ? body.correlationId : undefined;
  }

  /** From any error answer: problem+json as sent, anything else (a proxy's HTML page) as a bare status. */
  static async from(response: Response): Promise<KairosApiError> {
    const text = await response.text().catch(() => '');
    let body: Record<string, unknown> = {};
    try {
      const parsed: unknown = JSON.parse(text);
      if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) body = parsed as Record<string, unknown>;
    } catch {
      body = { title: response.statusText || `HTTP ${response.status}` };
    }
    return new KairosApiError(response.status, body);
  }
}
