export * from '../../../lib/sim/codepipeline-executions';
