export * from '../../../lib/sim/ecr';
