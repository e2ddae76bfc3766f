export * from '../../../sim/s3-versions';
