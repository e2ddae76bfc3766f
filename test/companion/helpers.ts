import { Stack } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import type { SprykerMaintenanceProps } from '../../lib';

export const LISTENER_ARN = 'arn:aws:elasticloadbalancing:eu-central-1:111122223333:listener/app/shop/50dc6c495c0c9188/f2f7dc8efc522ab2';

/** The shop's HTTPS listener, imported. */
export function listener(stack: Stack, arn = LISTENER_ARN, id = 'Listener'): elbv2.IApplicationListener {
  return elbv2.ApplicationListener.fromApplicationListenerAttributes(stack, id, {
    listenerArn: arn,
    securityGroup: ec2.SecurityGroup.fromSecurityGroupId(stack, `${id}Sg`, 'sg-0123456789abcdef0'),
  });
}

export const maintenance = (stack: Stack, over: Partial<SprykerMaintenanceProps> = {}): SprykerMaintenanceProps => ({
  listener: listener(stack),
  allowedIps: ['203.0.113.0/24'],
  ...over,
});
