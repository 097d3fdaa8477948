import { Mechanism } from '../../security/sasl';
import { Writer } from '../encoding';
import { ErrorCode } from '../errors';
import { Api } from './api';

/**
 * SaslHandshake v0–1: picks the mechanism for this connection. After v1 the tokens travel in
 * SaslAuthenticate requests; after v0 they follow as bare frames (served in Connection).
 * librdkafka enables SASL only when the advertised range includes v0.
 */
export const saslHandshakeApi: Api = {
  key: 17,
  minVersion: 0,
  maxVersion: 1,
  handle(ctx, { apiVersion: v, session }, r) {
    const mechanism = r.string();
    const enabled = ctx.sasl?.mechanisms ?? [];
    const w = new Writer();
    if (ctx.sasl === null) return w.int16(ErrorCode.ILLEGAL_SASL_STATE).array([], () => undefined);
    if (session.authenticated || session.exchange !== null) return w.int16(ErrorCode.ILLEGAL_SASL_STATE).array(enabled, (w, m) => w.string(m));
    if (!enabled.includes(mechanism as Mechanism)) return w.int16(ErrorCode.UNSUPPORTED_SASL_MECHANISM).array(enabled, (w, m) => w.string(m));
    session.exchange = ctx.sasl.start(mechanism as Mechanism);
    if (v === 0) session.rawSasl = true;
    return w.int16(ErrorCode.NONE).array(enabled, (w, m) => w.string(m));
  },
};

/** SaslAuthenticate v0–1: one step of the exchange chosen by SaslHandshake. A failure ends the connection, as in Kafka. */
export const saslAuthenticateApi: Api = {
  key: 36,
  minVersion: 0,
  maxVersion: 1,
  handle(_ctx, { apiVersion: v, session }, r) {
    const token = r.bytes();
    const w = new Writer();
    const answer = (error: number, message: string | null, bytes: Buffer) => {
      w.int16(error).string(message).bytes(bytes);
      if (v >= 1) w.int64(0);
      return w;
    };
    if (session.authenticated || session.exchange === null) {
      session.closeAfterResponse = true;
      return answer(ErrorCode.ILLEGAL_SASL_STATE, 'SaslAuthenticate without a SaslHandshake', Buffer.alloc(0));
    }
    const step = session.exchange.step(Buffer.from(token));
    if (step.kind === 'failed') {
      session.exchange = null;
      session.closeAfterResponse = true;
      return answer(ErrorCode.SASL_AUTHENTICATION_FAILED, step.message, Buffer.alloc(0));
    }
    if (step.kind === 'done') {
      session.exchange = null;
      session.authenticated = true;
      session.principal = `User:${step.user}`;
    }
    return answer(ErrorCode.NONE, null, step.bytes);
  },
};
