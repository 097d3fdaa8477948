import { runWithContext } from './context';
import { JsonLogger } from './logger';

describe('the JSON logger', () => {
  it('writes one JSON object per line with the correlation id of the current context', () => {
    const lines: string[] = [];
    const logger = new JsonLogger('request-service', 'info', (l) => lines.push(l));
    runWithContext({ correlationId: 'c-123' }, () => logger.log('hello', { requestId: 'r1' }));
    const entry = JSON.parse(lines[0]!);
    expect(entry).toMatchObject({ level: 'info', service: 'request-service', msg: 'hello', correlationId: 'c-123', requestId: 'r1' });
  });

  it('drops entries below its level', () => {
    const lines: string[] = [];
    const logger = new JsonLogger('x', 'warn', (l) => lines.push(l));
    logger.log('quiet');
    logger.warn('loud');
    expect(lines.map((l) => JSON.parse(l).msg)).toEqual(['loud']);
  });
});
