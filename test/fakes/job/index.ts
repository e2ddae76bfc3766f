export * from '../../../sim/job';
