import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { NotificationKind } from './plan';

/** The templates shipped with the notifier; an operator's TEMPLATES_DIR overrides them file by file. */
export const DEFAULT_TEMPLATES_DIR = join(__dirname, '..', '..', 'templates');

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

export class Templates {
  private readonly cache = new Map<string, string>();

  constructor(private readonly operatorDir: string) {}

  private file(kind: NotificationKind, part: 'subject' | 'txt' | 'html'): string {
    const name = `${kind}.${part}`;
    const cached = this.cache.get(name);
    if (cached !== undefined) return cached;
    const own = this.operatorDir ? join(this.operatorDir, name) : '';
    const path = own && existsSync(own) ? own : join(DEFAULT_TEMPLATES_DIR, name);
    const text = readFileSync(path, 'utf8');
    this.cache.set(name, text);
    return text;
  }

  render(kind: NotificationKind, values: Readonly<Record<string, unknown>>): Rendered {
    return {
      subject: render(this.file(kind, 'subject'), values, 'subject'),
      text: render(this.file(kind, 'txt'), values, 'text'),
      html: render(this.file(kind, 'html'), values, 'html'),
    };
  }
}
