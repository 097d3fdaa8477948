import { createHash } from 'node:crypto';
import nodemailer, { type Transporter } from 'nodemailer';
import { SendError, type Outgoing } from '../../use-cases/dispatch-sends/ports';

export interface SmtpSettings {
  readonly host: string;
  readonly port: number;
  readonly secure: boolean;
  readonly requireTls: boolean;
  readonly rejectUnauthorized: boolean;
  readonly user: string;
  readonly password: () => string;
  readonly from: string;
}

/** The same send always has the same Message-ID, so a resend after a crash is recognisable as one. */
export const messageIdFor = (sendKey: string): string => `<${createHash('sha256').update(sendKey).digest('hex').slice(0, 32)}@kairos.notifier>`;

/** Email over SMTP with nodemailer: TLS as configured, auth when a user is set. */
export class EmailChannel {
  private transporter?: Transporter;

  constructor(private readonly settings: SmtpSettings) {}

  get enabled(): boolean {
    return this.settings.host !== '';
  }

  private transport(): Transporter {
    const s = this.settings;
    this.transporter ??= nodemailer.createTransport({
      host: s.host,
      port: s.port,
      secure: s.secure,
      requireTLS: s.requireTls,
      tls: { rejectUnauthorized: s.rejectUnauthorized },
      ...(s.user ? { auth: { user: s.user, pass: s.password() } } : {}),
      connectionTimeout: 10_000,
      greetingTimeout: 10_000,
      socketTimeout: 20_000,
    });
    return this.transporter;
  }

  async send(message: Outgoing): Promise<void> {
    try {
      await this.transport().sendMail({
        from: this.settings.from,
        to: message.address,
        subject: message.subject,
        text: message.text,
        html: message.html,
        messageId: messageIdFor(message.sendKey),
        headers: { 'X-Kairos-Notification': message.kind },
      });
    } catch (error) {
      const e = error as { responseCode?: number; code?: string; message?: string };
      // 5xx: the server refused this message for good (no such mailbox, policy); anything else may pass later.
      const permanent = typeof e.responseCode === 'number' && e.responseCode >= 500 && e.responseCode !== 554 && e.code !== 'EAUTH';
      // Only the code and reply number: a server's reply may quote what we sent.
      throw new SendError(`smtp: ${e.code ?? 'error'}${e.responseCode ? ` ${e.responseCode}` : ''}`, permanent);
    }
  }

  close(): void {
    this.transporter?.close();
    this.transporter = undefined;
  }
}
