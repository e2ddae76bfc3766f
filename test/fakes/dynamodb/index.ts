export * from '../../../lib/sim/dynamodb';
