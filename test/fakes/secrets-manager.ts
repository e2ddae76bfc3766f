import { AwsError } from './aws';

/** Secrets Manager's GetSecretValue over the fake's loopback endpoint (JSON protocol, target `secretsmanager.*`). */
export class FakeSecretsManager {
  /** Secret ARN (or name) → its SecretString. */
  readonly secrets = new Map<string, string>();
  readonly api: Record<string, (b: any) => unknown> = {
    GetSecretValue: (b) => {
      const value = this.secrets.get(b.SecretId);
      // The real service's message (API reference, ResourceNotFoundException).
      if (value === undefined) throw new AwsError('ResourceNotFoundException', "Secrets Manager can't find the specified secret.");
      return { ARN: b.SecretId, Name: String(b.SecretId).split(':').pop(), SecretString: value, VersionId: 'v1', VersionStages: ['AWSCURRENT'] };
    },
  };
}
