import { RemovalPolicy } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import { DEPLOYED_AT_INDEX } from './contracts/release';

/** Releases kept for rollback when `releaseHistory` is not set. */
export const DEFAULT_RELEASE_HISTORY = 100;

/** The release-history table of an environment. */
export const releaseTableName = (env: string) => `${env}-spryker-release-history`;

/**
 * The kept releases of one environment (UpdateDeployedVersion writes them): a DynamoDB table,
 * one item per release (partition `env`, sort `version`), a KEYS_ONLY local index on
 * `deployedAt` that finds the releases beyond the kept count without reading them.
 *
 * DynamoDB rather than SSM parameter versions (100 at most, and a labelled oldest version blocks
 * every new one) or S3 objects (no ordered listing): a conditional put writes a release once even
 * when two deliveries race, a query lists the newest first, a delete prunes one; on demand, a
 * deployment costs a few write units.
 */
export class SprykerReleaseHistory extends Construct {
  /** The environment's history, created once (companion pipelines share it). */
  public static of(scope: Construct, environment: string): SprykerReleaseHistory {
    const existing = scope.node.tryFindChild('ReleaseHistory');
    return existing instanceof SprykerReleaseHistory ? existing : new SprykerReleaseHistory(scope, 'ReleaseHistory', environment);
  }

  public readonly table: dynamodb.Table;

  private constructor(scope: Construct, id: string, environment: string) {
    super(scope, id);
    this.table = new dynamodb.Table(this, 'Table', {
      // A name, not a token: UserParameters stay a literal, and people find it (docs/safety-net.md).
      tableName: releaseTableName(environment),
      partitionKey: { name: 'env', type: dynamodb.AttributeType.STRING },
      sortKey: { name: 'version', type: dynamodb.AttributeType.STRING },
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      // The releases a rollback needs outlive the stack, like the images they protect.
      removalPolicy: RemovalPolicy.RETAIN,
    });
    this.table.addLocalSecondaryIndex({
      indexName: DEPLOYED_AT_INDEX,
      sortKey: { name: 'deployedAt', type: dynamodb.AttributeType.STRING },
      projectionType: dynamodb.ProjectionType.KEYS_ONLY,
    });
  }

  /** Record and prune releases (UpdateDeployedVersion): items and the deployedAt index, nothing else. */
  public grantRecord(grantee: iam.IGrantable): iam.Grant {
    // Named, not `index/*` (Table.grant's): the one index the handler queries.
    return iam.Grant.addToPrincipal({
      grantee,
      actions: ['dynamodb:PutItem', 'dynamodb:DeleteItem', 'dynamodb:Query'],
      resourceArns: [this.table.tableArn, `${this.table.tableArn}/index/${DEPLOYED_AT_INDEX}`],
    });
  }
}
