export * from '../../../sim/codepipeline-executions';
