import { BrokerContext, RequestHeader } from '../../server/context';
import { Reader, Writer } from '../encoding';

export interface Api {
  key: number;
  minVersion: number;
  maxVersion: number;
  /** Returns the response body, or null when no response is due (acks=0). */
  handle(ctx: BrokerContext, header: RequestHeader, r: Reader): Promise<Writer | null> | Writer | null;
}
