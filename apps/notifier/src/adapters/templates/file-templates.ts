import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { NotificationKind } from '../../domain/plan';
import { render, type Rendered } from '../../domain/templates';
import type { TemplateRenderer } from '../../use-cases/dispatch-sends/ports';

/** The templates shipped with the notifier (apps/notifier/templates); an operator's TEMPLATES_DIR overrides them file by file. */
export const DEFAULT_TEMPLATES_DIR = join(__dirname, '..', '..', '..', 'templates');

/** Templates read from files (`<kind>.subject`, `<kind>.txt`, `<kind>.html`), each read once. */
export class FileTemplates implements TemplateRenderer {
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
