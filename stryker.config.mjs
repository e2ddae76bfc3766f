// Mutation testing of the step handlers, the job runtime and the props validation: `npm run mutation`.
// Not part of CI (.ci/run): it takes tens of minutes. docs/step-handlers.md (Bench) has the scores.
//
// Which tests a mutant runs: jest's --findRelatedTests on the mutated file (enableFindRelatedTests),
// narrowed to the test files below (the "real tests" of these files: unit and fake-AWS tests, no
// synth-heavy infrastructure suite), then to the tests that actually reached the mutant in the
// initial run (coverageAnalysis perTest). So a validate.ts mutant runs only validation tests, and
// a deploy.ts mutant only the deploy tests that execute its line.
//
// A subset while developing: `npm run mutation -- --mutate lib/config/validate.ts:40-90 --concurrency 1`.
//
// `npm run mutation` runs this file with node (see the end); `npx stryker run` reads it as usual.
// `--testFiles a,b` scores a file against only those tests (faster, and a lower bound).

import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';

/** The test files that pin these files' behaviour (jest `testMatch`, relative to the repository). */
const REAL_TESTS = ['test/config/validate*.test.ts', 'test/infra/validation.test.ts', 'test/lambda/**/*.test.ts'];

/** @type {import('@stryker-mutator/api/core').PartialStrykerOptions} */
const config = {
  mutate: ['lambda/runtime/*.ts', 'lambda/deploy.ts', 'lambda/run-hook.ts', 'lib/config/validate.ts'],
  testRunner: 'jest',
  jest: {
    projectType: 'custom',
    configFile: 'jest.config.js',
    // findRelatedTests follows imports only through files inside `roots`: lib/index.ts -> validate.ts.
    config: { roots: ['test', 'lib', 'lambda', 'bin'].map((dir) => `<rootDir>/${dir}`), testMatch: REAL_TESTS.map((glob) => `<rootDir>/${glob}`) },
    enableFindRelatedTests: true,
  },
  coverageAnalysis: 'perTest',
  // ts-jest only transpiles (jest.config.js: diagnostics off), so a mutant that breaks a type still
  // runs; Stryker adds `// @ts-nocheck` to every mutated file (its default pattern misses lambda/).
  // No type checker plugin: @stryker-mutator/typescript-checker is not a dependency.
  tsconfigFile: 'tsconfig.json',
  disableTypeChecks: '{lib,lambda,test}/**/*.ts',
  // 2 cores, shared: one test runner per core. Lower it with --concurrency 1 on a busy machine.
  concurrency: 2,
  // The fake AWS runs over loopback; a loaded machine slows it, not an infinite loop.
  timeoutMS: 10000,
  ignorePatterns: ['cdk.out', 'dist', 'coverage', '.bench', 'docs'],
  reporters: ['clear-text', 'progress', 'html', 'json'],
  htmlReporter: { fileName: 'reports/mutation/mutation.html' },
  jsonReporter: { fileName: 'reports/mutation/mutation.json' },
  thresholds: { high: 90, low: 85, break: null },
};
export default config;

// Run as a script: Stryker 10's CLI refuses Node.js < 22 (its engines field) before it starts,
// while its API runs on the Node.js 20 this project supports; so start Stryker through the API.
// (No top-level await: Stryker imports this module again, and would wait for it to finish.)
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  run().catch((error) => {
    console.error(error);
    process.exitCode = 1;
  });
}

async function run() {
  const { values } = parseArgs({
    options: {
      mutate: { type: 'string' },
      testFiles: { type: 'string' },
      concurrency: { type: 'string' },
      incremental: { type: 'boolean' },
      // One incremental file per scored file: a run narrowed to another file would drop the first one's results.
      incrementalFile: { type: 'string' },
      dryRunOnly: { type: 'boolean' },
      logLevel: { type: 'string' },
    },
  });
  if (values.testFiles) {
    // Also the jest config's testMatch: a mutant then loads only these files (Stryker imports this same module).
    config.jest.config.testMatch = values.testFiles.split(',').map((glob) => `<rootDir>/${glob}`);
  }
  const core = dirname(createRequire(import.meta.url).resolve('@stryker-mutator/core/package.json'));
  const { Stryker } = await import(pathToFileURL(join(core, 'dist/src/stryker.js')).href);
  await new Stryker({
    configFile: 'stryker.config.mjs',
    ...(values.mutate && { mutate: values.mutate.split(',') }),
    ...(values.concurrency && { concurrency: Number(values.concurrency) }),
    ...(values.incremental && { incremental: true }),
    ...(values.incrementalFile && { incremental: true, incrementalFile: values.incrementalFile }),
    ...(values.dryRunOnly && { dryRunOnly: true }),
    ...(values.logLevel && { logLevel: values.logLevel }),
  }).runMutationTest();
}
