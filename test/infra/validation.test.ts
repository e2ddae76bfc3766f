import { Duration, Lazy, Stack } from 'aws-cdk-lib';
import { SprykerConfigError, SprykerPipeline, type SprykerPipelineProps } from '../../lib';
import { baseProps, testApp } from './helpers';

function problemsOf(overrides: Partial<SprykerPipelineProps>): string[] {
  const stack = new Stack(testApp(), 'Bad');
  try {
    new SprykerPipeline(stack, 'Pipeline', baseProps(overrides));
  } catch (err) {
    expect(err).toBeInstanceOf(SprykerConfigError);
    const e = err as SprykerConfigError;
    // The message lists every problem, each naming its prop.
    for (const p of e.problems) expect(e.message).toContain(`${p.prop}: ${p.message}`);
    return e.problems.map((p) => `${p.prop}: ${p.message}`);
  }
  return [];
}

describe('props validation', () => {
  test('valid props pass', () => {
    expect(problemsOf({})).toEqual([]);
  });

  test('an empty service list is refused, and the hook service it lacks too', () => {
    const problems = problemsOf({ services: [] });
    expect(problems).toEqual([
      expect.stringMatching(/^services: is empty: list at least one application service/),
      expect.stringMatching(/^hookService: 'zed' is not one of the services \(none\)/),
    ]);
  });

  test('every problem is reported at once', () => {
    const problems = problemsOf({
      environment: 'Prod_EU',
      services: [{ application: 'zed' }, { application: 'zed' }, { application: 'yves', service: 'shop zed' }],
      hooks: { install: '  ', afterDeploy: '' },
      pipelineType: 'destructive',
      production: true,
      approval: { timeout: Duration.days(61) },
    });
    expect(problems).toEqual([
      expect.stringMatching(/^environment: 'Prod_EU' is not allowed: use 1-31 lowercase letters/),
      expect.stringMatching(/^services\[1\]\.application: 'zed' is listed twice \(also services\[0\]\)/),
      expect.stringMatching(/^services\[1\]\.service: ECS service 'Prod_EU-zed' is listed twice/),
      expect.stringMatching(/^services\[2\]\.service: 'shop zed' is not an ECS service name/),
      expect.stringMatching(/^hooks\.install: is an empty string: leave it out for SCCOS's default, or use 'true'/),
      expect.stringMatching(/^hooks\.afterDeploy: is an empty string/),
      expect.stringMatching(/^pipelineType: 'destructive' on production environment 'Prod_EU' wipes its data: set allowDestructiveOnProduction: true/),
      expect.stringMatching(/^approval\.timeout: must be between 5 minutes and 60 days, in whole minutes/),
    ]);
  });

  test('destructive on production needs the explicit opt-in; production is inferred from the name', () => {
    expect(problemsOf({ environment: 'production', pipelineType: 'destructive' })).toEqual([
      expect.stringMatching(/^pipelineType: 'destructive' on production environment 'production'/),
    ]);
    expect(problemsOf({ environment: 'production', pipelineType: 'destructive', allowDestructiveOnProduction: true })).toEqual([]);
    expect(problemsOf({ environment: 'staging', pipelineType: 'destructive' })).toEqual([]);
  });

  test('the hook service must be one of the services', () => {
    expect(problemsOf({ hookService: 'backoffice' })).toEqual([]);
    expect(problemsOf({ hookService: 'jenkins' })).toEqual([
      "hookService: 'jenkins' is not one of the services (zed, yves, glue, backoffice): hooks run in a service's task definition; add it to services or set hookService",
    ]);
  });

  test('the scheduler may not duplicate an application service', () => {
    expect(problemsOf({ scheduler: { application: 'zed' } })).toEqual([
      expect.stringMatching(/^scheduler\.application: 'zed' is listed twice \(also services\[0\]\)/),
      expect.stringMatching(/^scheduler\.service: ECS service 'staging-zed' is listed twice/),
    ]);
  });

  test('unresolved tokens are not validated', () => {
    const token = Lazy.string({ produce: () => 'whatever' });
    expect(problemsOf({ environment: 'staging', services: [{ application: 'zed', service: token }, { application: 'yves', service: token }] })).toEqual([]);
  });
});
