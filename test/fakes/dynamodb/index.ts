export * from '../../../sim/dynamodb';
