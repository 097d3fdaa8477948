import { startSignal } from '@kairos/http';

// A stand-in service for start-signal.int.spec.ts: loads, waits for the launcher's signal, starts.
process.stdout.write('loaded\n');
void startSignal(process.env).then(() => {
  process.stdout.write('started\n');
  setInterval(() => undefined, 60_000);
});
