export * from '../../../sim/ecr';
