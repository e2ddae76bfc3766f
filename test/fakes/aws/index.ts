export * from '../../../lib/sim/aws';
