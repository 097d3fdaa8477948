/** A notification rendered by its kind's templates. */
export interface Rendered {
  readonly subject: string;
  readonly text: string;
  readonly html: string;
}

const HTML_ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };
export const escapeHtml = (value: string): string => value.replace(/[&<>"']/g, (c) => HTML_ESCAPES[c]!);

const PLACEHOLDER = /\{\{\s*([A-Za-z][A-Za-z0-9_]*)\s*\}\}/g;

const asText = (value: unknown): string => (value === undefined || value === null ? '' : typeof value === 'string' ? value : JSON.stringify(value));

/**
 * `{{name}}` placeholders, nothing else: a template cannot run code. Values are escaped for HTML in
 * the HTML part, and a subject never holds a line break (no header injection through a comment).
 */
export function render(template: string, values: Readonly<Record<string, unknown>>, mode: 'text' | 'html' | 'subject'): string {
  const out = template.replace(PLACEHOLDER, (_, name: string) => {
    const value = asText(values[name]);
    if (mode === 'html') return escapeHtml(value);
    if (mode === 'subject') return value.replace(/[\r\n]+/g, ' ');
    return value;
  });
  return mode === 'subject' ? out.replace(/[\r\n]+/g, ' ').trim() : out;
}
