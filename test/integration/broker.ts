/** The real RabbitMQ the integration suites use (.ci/run installs and starts it). */
import { spawnSync } from 'child_process';

export const ENDPOINT = process.env.RABBITMQ_MANAGEMENT_URL ?? 'http://127.0.0.1:15672';
export const ADMIN = { username: process.env.RABBITMQ_ADMIN_USER ?? 'guest', password: process.env.RABBITMQ_ADMIN_PASSWORD ?? 'guest' };

/** Synchronous, so that a suite can be skipped (not passed) when there is no broker. */
function brokerAnswers(): boolean {
  const probe = `fetch(${JSON.stringify(`${ENDPOINT}/api/overview`)}, { signal: AbortSignal.timeout(2000) }).then((r) => process.exit(r.status < 500 ? 0 : 1), () => process.exit(1))`;
  return spawnSync(process.execPath, ['-e', probe], { timeout: 5000 }).status === 0;
}

/** Whether the management API answered when the suite loaded (a suite's beforeAll fails in CI without it). */
export const BROKER_AVAILABLE = brokerAnswers();

/** `describe` when the broker answers, or in CI (where a missing broker must fail, not skip); else `describe.skip` with a warning. */
export function brokerSuite(name: string): jest.Describe {
  const inCi = process.env.CI === 'true';
  if (!BROKER_AVAILABLE && !inCi) {
    console.warn(`${name} integration tests SKIPPED: no management API at ${ENDPOINT}. Run \`bash scripts/rabbitmq.sh install && bash scripts/rabbitmq.sh start\` (root or sudo) to run them.`);
  }
  return BROKER_AVAILABLE || inCi ? describe : describe.skip;
}
