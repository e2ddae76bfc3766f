export * from '../../../sim/aws';
