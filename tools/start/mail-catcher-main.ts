import { startMailCatcher } from './mail-catcher';

// The mail catcher as its own supervised process of `npm start` (ADR 0023):
// node tools/run-ts.js tools/start/mail-catcher-main.ts --smtp-port N --http-port M [--store FILE]
const arg = (name: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : undefined;
};

startMailCatcher({ smtpPort: Number(arg('smtp-port') ?? 1025), httpPort: Number(arg('http-port') ?? 8025), store: arg('store') })
  .then((catcher) => {
    process.stdout.write(`mail catcher ready: SMTP 127.0.0.1:${catcher.smtpPort}, mails at http://127.0.0.1:${catcher.httpPort}/\n`);
    const stop = () => void catcher.close().then(() => process.exit(0));
    process.on('SIGTERM', stop);
    process.on('SIGINT', stop);
  })
  .catch((error: Error) => {
    process.stderr.write(`mail catcher: ${error.message}\n`);
    process.exit(1);
  });
