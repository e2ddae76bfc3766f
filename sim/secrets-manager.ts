/**
 * Secrets Manager in the fake AWS: GetSecretValue by name or ARN, with the service's errors for a
 * secret that does not exist (ResourceNotFoundException) and one scheduled for deletion
 * (InvalidRequestException), as the API reference documents them.
 */
import { AwsError } from './core';

const ARN_PREFIX = 'arn:aws:secretsmanager:eu-central-1:123456789012:secret:';

export class FakeSecretsManager {
  /** Secret name → its string value and state. */
  readonly secrets = new Map<string, { value: string; deleted?: boolean }>();
  /** Every SecretId asked for. */
  readonly reads: string[] = [];

  /** Stores a secret (by name, or by the ARN the stack would pass: the name is what follows `secret:`). */
  set(id: string, value: string): void {
    this.secrets.set(nameOf(id), { value });
  }

  /** DeleteSecret with a recovery window: the secret stays, unreadable, until it is gone. */
  scheduleDeletion(id: string): void {
    const secret = this.secrets.get(nameOf(id));
    if (secret) secret.deleted = true;
  }

  readonly api: Record<string, (b: any) => unknown> = {
    GetSecretValue: (b) => {
      this.reads.push(b.SecretId);
      const name = nameOf(b.SecretId);
      const secret = this.secrets.get(name);
      if (!secret) throw new AwsError('ResourceNotFoundException', "Secrets Manager can't find the specified secret.");
      if (secret.deleted) throw new AwsError('InvalidRequestException', "You can't perform this operation on the secret because it was marked for deletion.");
      return { ARN: `${ARN_PREFIX}${name}`, Name: name, SecretString: secret.value, VersionId: 'v1', VersionStages: ['AWSCURRENT'], CreatedDate: 1_700_000_000 };
    },
  };
}

const nameOf = (id: string) => (id.startsWith(ARN_PREFIX) ? id.slice(ARN_PREFIX.length) : id);
