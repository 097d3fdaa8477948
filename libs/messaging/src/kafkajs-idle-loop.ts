/**
 * kafkajs 2.2.4 (the current release) keeps every broker connection's request queue busy when it
 * has nothing to do: `scheduleCheckPendingRequests` arms a timer even with no request pending, and
 * with no throttle in force its delay is negative, so it fires on the next turn of the event loop
 * and arms itself again (kafkajs issue #1556, fix proposed in pull request #1667, not released).
 * Every consumer, producer and admin connection of every service woke its process about a thousand
 * times a second: measured on an idle platform, ~1,400 `epoll_pwait` returns a second and 35–45 ms
 * of CPU a second per service, most of the platform's CPU at rest (docs/benchmarks.md, issue 17).
 *
 * The queue only needs the timer while requests wait (throttled by the broker, or over the
 * in-flight limit): a finished request checks the queue anyway. This replaces the method on the
 * class's prototype once, when the messaging library is loaded, with one that arms the timer only
 * then. `kafkajs-idle-loop.int.spec.ts` proves the loop gone and requests still flowing.
 */
const RequestQueue = require('kafkajs/src/network/requestQueue') as { prototype: QueueInternals & { scheduleCheckPendingRequests(): void; kairosIdleLoopFixed?: true } };

/** kafkajs's own interval for re-checking a queue whose requests wait for in-flight ones. */
const CHECK_PENDING_EVERY_MS = 10;

interface QueueInternals {
  pending: unknown[];
  throttledUntil: number;
  throttleCheckTimeoutId: NodeJS.Timeout | null;
  checkPendingRequests(): void;
}

/** kafkajs's method as released, kept for the test that shows the loop. */
export const releasedScheduleCheckPendingRequests = RequestQueue.prototype.scheduleCheckPendingRequests;

export function fixKafkajsIdleLoop(): void {
  const proto = RequestQueue.prototype;
  if (proto.kairosIdleLoopFixed) return;
  proto.scheduleCheckPendingRequests = function (this: QueueInternals) {
    if (this.throttleCheckTimeoutId || this.pending.length === 0) return;
    const untilUnthrottled = this.throttledUntil - Date.now();
    this.throttleCheckTimeoutId = setTimeout(() => {
      this.throttleCheckTimeoutId = null;
      this.checkPendingRequests();
    }, untilUnthrottled > 0 ? untilUnthrottled : CHECK_PENDING_EVERY_MS);
  };
  proto.kairosIdleLoopFixed = true;
}

fixKafkajsIdleLoop();
