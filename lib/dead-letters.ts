import { Duration } from 'aws-cdk-lib';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import { acknowledge } from './nag';

/**
 * The dead-letter queue of an EventBridge rule's targets, created once per scope: events that
 * could not be delivered after EventBridge's retries are kept 14 days (encrypted, TLS only), so a
 * person can see which execution they were about and re-drive them.
 */
export function ruleDeadLetters(scope: Construct, id: string): sqs.Queue {
  const existing = scope.node.tryFindChild(id) as sqs.Queue | undefined;
  if (existing) return existing;
  const queue = new sqs.Queue(scope, id, {
    encryption: sqs.QueueEncryption.SQS_MANAGED,
    enforceSSL: true,
    retentionPeriod: Duration.days(14),
  });
  acknowledge(queue, 'AwsSolutions-SQS3', 'it is itself the dead-letter queue of an EventBridge rule');
  acknowledge(queue, 'Serverless-SQSRedrivePolicy', 'a dead-letter queue has nothing to redrive to: its messages are read by a person (or re-driven to the rule by hand)');
  return queue;
}
