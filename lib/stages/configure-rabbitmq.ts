import { Stack, Token, Tokenization } from 'aws-cdk-lib';
import type * as codepipeline from 'aws-cdk-lib/aws-codepipeline';
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import * as ssm from 'aws-cdk-lib/aws-ssm';
import type { Construct } from 'constructs';
import { X509Certificate } from 'crypto';
import { BROKER_CONFIG_VERSION, BrokerConfig, checkContract, PEM_CERTIFICATE_MARK, type RabbitMqParams } from '../contracts/rabbitmq';
import type { BrokerPermission, SprykerBrokerProps } from '../config/types';
import type { StepHandler } from '../step-handler';
import { SprykerStage, type SprykerStageProps } from './stage';

export interface ConfigureRabbitMqStageProps extends SprykerStageProps {
  /** @default - no broker: the stage succeeds at once */
  readonly broker?: SprykerBrokerProps;
}

/** Standard-tier SSM values hold 4 KB. */
const STANDARD_TIER_LIMIT = 4096;
/** Upper bound of what one token in the config resolves to (a secret ARN, or a pseudo parameter in one). */
const TOKEN_BOUND = 128;
/** Upper bound of a CA certificate given as a token (e.g. read from SSM at deploy time): a chain of two. */
const CA_TOKEN_BOUND = 4096;

/**
 * Configure_RabbitMQ_Vhosts_and_Permissions: declared vhosts, users and permissions, changing only
 * what differs. The desired state goes to an SSM parameter (`/{env}/pipeline/rabbitmq`, secret
 * ARNs only); UserParameters carry only its name, whatever the size of the shop.
 */
export class ConfigureRabbitMqStage extends SprykerStage {
  /** The SSM parameter holding an environment's desired broker state. */
  public static configParameterName(environment: string): string {
    return `/${environment}/pipeline/rabbitmq`;
  }

  public readonly stageName = 'Configure_RabbitMQ_Vhosts_and_Permissions';
  public readonly actions: codepipeline.IAction[];
  public readonly handler: StepHandler;
  /**
   * The action's parameters (desired-state parameter, pinned endpoint), for the environment's other pipelines.
   * @internal the package's own: its type comes from a zod schema, and zod's .d.ts needs Node's types, which a consumer may not have
   */
  public readonly userParameters: RabbitMqParams;
  /** The desired broker state; absent without a broker. */
  public readonly configParameter?: ssm.StringParameter;

  constructor(scope: Construct, id: string, props: ConfigureRabbitMqStageProps) {
    super(scope, id);
    const { deployment, broker } = props;
    this.handler = deployment.handler(this, 'Handler', {
      handler: 'rabbitmq',
      description: `${deployment.environment}: applies RabbitMQ vhosts, users and permissions`,
      vpc: broker?.vpc,
      vpcSubnets: broker?.vpcSubnets,
      securityGroups: broker?.securityGroups,
    });
    let userParameters: RabbitMqParams = {};
    if (broker) {
      const parameterName = ConfigureRabbitMqStage.configParameterName(deployment.environment);
      const config = brokerConfig(broker);
      checkBrokerConfig(this, config);
      this.configParameter = new ssm.StringParameter(this, 'Config', {
        parameterName,
        description: `Desired RabbitMQ vhosts, users and permissions of ${deployment.environment} (secret ARNs only; written by the stack)`,
        stringValue: Stack.of(this).toJsonString(config),
        tier: estimatedLength(config) <= STANDARD_TIER_LIMIT ? ssm.ParameterTier.STANDARD : ssm.ParameterTier.ADVANCED,
      });
      this.configParameter.grantRead(this.handler.role);
      // Exactly the secrets it needs: the admin's and each user's password.
      const secrets = new Set<secretsmanager.ISecret>([broker.adminSecret, ...(broker.users ?? []).map((u) => u.passwordSecret)]);
      for (const secret of secrets) secret.grantRead(this.handler.role);
      // The endpoint is pinned here, where only CloudFormation changes it: the handler refuses a desired state naming another.
      userParameters = { config: parameterName, endpoint: config.endpoint, ...(broker.allowInsecureBrokerEndpoint && { allowInsecureEndpoint: true }) };
    }
    this.userParameters = userParameters;
    this.actions = [this.handler.action<RabbitMqParams>({ actionName: this.stageName, userParameters })];
  }
}

/** The handler's view of the broker props: defaults applied, secrets as ARNs. */
function brokerConfig(broker: SprykerBrokerProps): BrokerConfig {
  return {
    v: BROKER_CONFIG_VERSION,
    endpoint: broker.endpoint.replace(/\/+$/, ''),
    adminSecret: broker.adminSecret.secretArn,
    vhosts: broker.vhosts,
    users: (broker.users ?? []).map((u) => ({
      name: u.name,
      passwordSecret: u.passwordSecret.secretArn,
      tags: u.tags ?? [],
      // docker-sdk's default: full permissions on every vhost of the shop.
      permissions: (u.permissions ?? broker.vhosts.map((vhost): BrokerPermission => ({ vhost }))).map((p) => ({
        vhost: p.vhost,
        configure: p.configure ?? '.*',
        write: p.write ?? '.*',
        read: p.read ?? '.*',
      })),
    })),
    removeUndeclared: broker.removeUndeclared ?? false,
    ...(broker.forceRemoveVhostsWithMessages !== undefined && { forceRemoveVhostsWithMessages: broker.forceRemoveVhostsWithMessages }),
    ...(broker.caCertificate !== undefined && { caCertificate: broker.caCertificate }),
  };
}

/**
 * The desired state is parsed at synth with the schema the handler parses it with (props from
 * plain JavaScript or a YAML reader can carry `"false"` for false), and a CA certificate must be
 * one: what the handler would refuse at run time is refused here, naming the prop.
 */
function checkBrokerConfig(scope: Construct, config: BrokerConfig): void {
  const ca = config.caCertificate;
  const caToken = ca !== undefined && Token.isUnresolved(ca);
  // A CA read at deploy time (a token) is checked by the handler, which parses the same schema.
  const parsed = checkContract(BrokerConfig, caToken ? { ...config, caCertificate: PEM_CERTIFICATE_MARK } : config, 'broker');
  const problems = 'problems' in parsed ? [...parsed.problems] : [];
  if (ca !== undefined && !caToken && 'data' in parsed) {
    try {
      new X509Certificate(ca);
    } catch (err) {
      problems.push(`broker.caCertificate: not a PEM certificate (${(err as Error).message}): give the PEM text of the CA, -----BEGIN CERTIFICATE----- included`);
    }
  }
  if (problems.length) throw new Error(`ConfigureRabbitMqStage ${scope.node.path}: ${problems.join('; ')}`);
}

/** The JSON's length once CloudFormation resolves it: literal text plus a bound per token. */
function estimatedLength(config: BrokerConfig): number {
  const bound = 'x'.repeat(TOKEN_BOUND);
  const caToken = config.caCertificate !== undefined && Token.isUnresolved(config.caCertificate) ? CA_TOKEN_BOUND : 0;
  const text: string = Tokenization.reverseString(JSON.stringify(config))
    .mapTokens({ mapToken: () => bound })
    .join({ join: (left: string, right: string) => `${left}${right}` });
  return text.length + caToken;
}
