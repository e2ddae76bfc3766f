export * from '../../../lib/sim/job';
