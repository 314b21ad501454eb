/**
 * Starts the device-lab API: `node examples/device-lab/server.js`.
 *
 *   KEYWARD_URL               the Keyward server, e.g. http://127.0.0.1:8080 (required)
 *   KEYWARD_VERIFIER_SECRET   a verifier credential (`keyward verifier create`) (required)
 *   PORT                      default 3000
 *   HOST                      default 127.0.0.1
 *   LOG_LEVEL                 default info
 */
import { createVerifier } from '@keyward/sdk';
import { buildApp } from './app.js';

const required = {
  KEYWARD_URL: 'the URL of your Keyward server, e.g. http://127.0.0.1:8080',
  KEYWARD_VERIFIER_SECRET: 'a verifier credential: run `keyward verifier create --name device-lab` on the Keyward host',
};
const missing = Object.keys(required).filter((name) => !process.env[name]);
if (missing.length > 0) {
  for (const name of missing) console.error(`device-lab: ${name} is not set: ${required[name]}.`);
  process.exit(1);
}

const verifier = createVerifier({ url: process.env.KEYWARD_URL, verifierSecret: process.env.KEYWARD_VERIFIER_SECRET });
const app = buildApp({ verifier, logger: { level: process.env.LOG_LEVEL ?? 'info' } });

let stopping = false;
async function stop(signal) {
  if (stopping) return;
  stopping = true;
  app.log.info(`${signal}: closing`);
  try {
    await app.close(); // answers the requests in flight first
  } finally {
    await verifier.close();
  }
  process.exit(0);
}
process.on('SIGTERM', () => void stop('SIGTERM'));
process.on('SIGINT', () => void stop('SIGINT'));

try {
  await app.listen({ port: Number(process.env.PORT ?? 3000), host: process.env.HOST ?? '127.0.0.1' });
} catch (error) {
  console.error(`device-lab: cannot listen: ${error.message}`);
  await verifier.close();
  process.exit(1);
}
