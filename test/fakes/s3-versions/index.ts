export * from '../../../lib/sim/s3-versions';
