import { SPRYKER_APPLICATIONS } from '../../types';
import { STATIC_APPLICATION, type PreflightRule } from '../finding';

const KNOWN: readonly string[] = [...SPRYKER_APPLICATIONS, STATIC_APPLICATION];

/** docker-sdk builds nothing for an unknown type: the service would never get an image. */
export const UnknownApplicationType: PreflightRule = {
  code: 'SDF401',
  severity: 'critical',
  name: 'unknown application type',
  check: (ctx) =>
    ctx.config.applications
      .filter((a) => a.application !== undefined && !KNOWN.includes(a.application))
      .map((a) => ({
        message: `application ${a.key} has type '${a.application}', which docker-sdk has no template for`,
        suggestion: `use one of ${KNOWN.join(', ')}`,
        path: [...a.path, 'application'],
      })),
};
