import {
  Annotations,
  type aws_certificatemanager as acm,
  CfnOutput,
  aws_cloudfront as cloudfront,
  aws_cloudwatch as cloudwatch,
  DefaultStackSynthesizer,
  Duration,
  aws_iam as iam,
  aws_lambda as lambda,
  aws_cloudfront_origins as origins,
  RemovalPolicy,
  aws_route53 as route53,
  Stack,
  aws_s3 as s3,
  aws_s3_deployment as s3deploy,
  Token,
  Validations,
} from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { EnvVar } from '../../lambdas/adapters/telemetry-names';
import { EDGE_DEFAULTS, ORIGIN_HEALTH_SIGNAL, type StubOptions } from '../../lambdas/edge/edge-config';
import { EdgeConfigError } from '../../lambdas/edge/errors';
import {
  FALLBACK_PAGE,
  FALLBACK_PATH_PATTERN,
  type FallbackSiteOptions,
  renderFallbackSite,
} from '../../lambdas/edge/fallback-site';
import { renderWidgetThrottleFunction } from '../../lambdas/edge/render';
import { KVS_FLAG_WRITER_ACTIONS } from '../controller-function';

/** Origin status codes that make CloudFront fetch the same request from the fallback bucket instead. */
export const FAILOVER_STATUS_CODES = [500, 502, 503, 504] as const;

export interface SurgeEdgeProps {
  /** Domain name of the customer's site origin, without scheme (e.g. `origin.shop.example`). */
  readonly originDomainName: string;
  /** Support e-mail address the stub and the fallback page link to. */
  readonly supportEmail: string;
  /** FAQ / help-centre URL (https:// or /path) the stub links to; also the fallback page's default link. */
  readonly faqUrl: string;
  /** Path the site loads the Messenger bootstrap script from, through this distribution. @default '/genesys-bootstrap/genesys.min.js' */
  readonly messengerScriptPath?: string;
  /** KeyValueStore key of the Tier 3 flag (the `cloudfront-kvs` actuator's `key`). @default 'chat-widget-throttle' */
  readonly flagKey?: string;
  /** Flag value that turns the stub on (the actuator's `activeValue`). @default 'on' */
  readonly flagOnValue?: string;
  /** Cookie the site sets during a conversation; its presence keeps the real Messenger. @default 'cx_chat_session' */
  readonly sessionCookieName?: string;
  /** Stub texts and the selector of the site's chat button. @default the texts in EDGE_DEFAULTS */
  readonly stub?: Omit<StubOptions, 'email' | 'faqUrl'>;
  /** Fallback page: site name, self-service links, initial status line. @default one link, to `faqUrl` */
  readonly fallback?: Partial<Omit<FallbackSiteOptions, 'email'>>;
  /** Serve the fallback page (status 503) for every 403 the distribution would return: S3 answers 403 for
   * paths it does not hold, which is how a failed-over deep link reaches the page. Turn off if your site
   * itself returns 403 pages to browsers. @default true */
  readonly fallbackOnForbidden?: boolean;
  /** Path Route 53 health checkers request on the origin (HTTPS, every 30 s); `false` for no health check.
   * @default '/' */
  readonly originHealthCheckPath?: string | false;
  /** Viewer-facing 5xx error rate (percent of requests, 1-minute average) that counts as origin failure. @default 5 */
  readonly viewerErrorRatePercent?: number;
  /** Cache policy of the site's default behaviour. @default CachePolicy.USE_ORIGIN_CACHE_CONTROL_HEADERS_QUERY_STRINGS */
  readonly cachePolicy?: cloudfront.ICachePolicy;
  /** Origin request policy of the site's default behaviour. @default OriginRequestPolicy.ALL_VIEWER_EXCEPT_HOST_HEADER */
  readonly originRequestPolicy?: cloudfront.IOriginRequestPolicy;
  /** Alternate domain names; needs `certificate` (ACM, us-east-1). @default the *.cloudfront.net name only */
  readonly domainNames?: string[];
  /** ACM certificate for `domainNames`. @default none */
  readonly certificate?: acm.ICertificate;
  /** AWS WAF web ACL (ARN) to attach. @default none */
  readonly webAclId?: string;
  /** @default PriceClass.PRICE_CLASS_ALL */
  readonly priceClass?: cloudfront.PriceClass;
  /** Removal policy of the fallback and log buckets. @default RemovalPolicy.RETAIN */
  readonly removalPolicy?: RemovalPolicy;
}

/**
 * The edge tiers on CloudFront (docs/edge.md).
 *
 * Tier 3: a CloudFront Function on the Messenger bootstrap path reads a flag from a KeyValueStore on every
 * request and, when on, answers with a stub that shows "chat is at capacity" with e-mail and FAQ links.
 * Tier 4: the site's behaviour uses an origin group that fails over to a private S3 bucket (OAC) holding a
 * static self-service page; `originErrorAlarm` tells the controller when the origin is failing.
 *
 * Deploy it in us-east-1: CloudFront and Route 53 health-check metrics exist only there, and alarms cannot
 * read metrics from another region.
 */
export class SurgeEdge extends Construct {
  readonly keyValueStore: cloudfront.KeyValueStore;
  readonly distribution: cloudfront.Distribution;
  /** ALARM while the origin is failing (health check down, or viewer 5xx rate over the threshold). Tier 4 signal. */
  readonly originErrorAlarm: cloudwatch.IAlarm;
  readonly widgetThrottleFunction: cloudfront.Function;
  readonly fallbackBucket: s3.Bucket;
  /** The Route 53 health check on the origin, unless disabled. */
  readonly originHealthCheck?: route53.HealthCheck;
  /** Flag key and values the `cloudfront-kvs` actuator must use to drive this edge. */
  readonly flag: { readonly key: string; readonly activeValue: string; readonly inactiveValue: string };

  constructor(scope: Construct, id: string, props: SurgeEdgeProps) {
    super(scope, id);
    if (!/^[A-Za-z0-9.-]+$/.test(props.originDomainName) || props.originDomainName.includes('..')) {
      throw new EdgeConfigError(
        'originDomainName',
        `must be a bare domain name (no scheme, path or port), got '${props.originDomainName}'`,
      );
    }
    const removalPolicy = props.removalPolicy ?? RemovalPolicy.RETAIN;
    this.flag = {
      key: props.flagKey ?? EDGE_DEFAULTS.flagKey,
      activeValue: props.flagOnValue ?? EDGE_DEFAULTS.flagOnValue,
      inactiveValue: EDGE_DEFAULTS.flagOffValue,
    };
    if (this.flag.activeValue === this.flag.inactiveValue) {
      throw new EdgeConfigError('flagOnValue', `must differ from the off value '${this.flag.inactiveValue}'`);
    }
    const messengerScriptPath = props.messengerScriptPath ?? EDGE_DEFAULTS.messengerScriptPath;

    // ── Tier 3: flag store + edge function ────────────────────────────────────────────────────────
    // The import seeds the key once (off); later values are written at runtime by the actuator / CLI.
    this.keyValueStore = new cloudfront.KeyValueStore(this, 'FlagStore', {
      comment: 'cx-surge edge flags (Tier 3 widget throttling)',
      source: cloudfront.ImportSource.fromInline(
        JSON.stringify({ data: [{ key: this.flag.key, value: this.flag.inactiveValue }] }),
      ),
    });
    this.widgetThrottleFunction = new cloudfront.Function(this, 'WidgetThrottleFunction', {
      comment: 'cx-surge Tier 3: stub the Messenger bootstrap while the surge flag is on',
      runtime: cloudfront.FunctionRuntime.JS_2_0,
      keyValueStore: this.keyValueStore,
      code: cloudfront.FunctionCode.fromInline(
        renderWidgetThrottleFunction({
          messengerScriptPath,
          flagKey: this.flag.key,
          flagOnValue: this.flag.activeValue,
          ...(props.sessionCookieName ? { sessionCookieName: props.sessionCookieName } : {}),
          stub: { ...props.stub, email: props.supportEmail, faqUrl: props.faqUrl },
        }),
      ),
    });

    // ── Tier 4: fallback site in a private bucket ─────────────────────────────────────────────────
    const logBucket = new s3.Bucket(this, 'AccessLogs', {
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      encryption: s3.BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      // CloudFront standard logging writes with ACLs.
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_PREFERRED,
      lifecycleRules: [{ expiration: Duration.days(90) }],
      removalPolicy,
    });
    this.fallbackBucket = new s3.Bucket(this, 'FallbackSite', {
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      encryption: s3.BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      serverAccessLogsBucket: logBucket,
      serverAccessLogsPrefix: 'fallback-bucket/',
      removalPolicy,
    });
    const site = renderFallbackSite({
      email: props.supportEmail,
      links: props.fallback?.links ?? [{ label: 'Frequently asked questions', href: props.faqUrl }],
      ...(props.fallback?.siteName ? { siteName: props.fallback.siteName } : {}),
      ...(props.fallback?.status ? { status: props.fallback.status } : {}),
    });
    const deployment = new s3deploy.BucketDeployment(this, 'FallbackSiteDeployment', {
      destinationBucket: this.fallbackBucket,
      sources: Object.entries(site).map(([name, content]) => s3deploy.Source.data(name, content)),
      cacheControl: [s3deploy.CacheControl.fromString('public, max-age=30')],
      prune: false,
    });

    // ── Distribution ──────────────────────────────────────────────────────────────────────────────
    // Short connection timeouts: an unreachable origin fails over after ~8 s instead of CloudFront's 30 s.
    const siteOrigin = new origins.HttpOrigin(props.originDomainName, {
      protocolPolicy: cloudfront.OriginProtocolPolicy.HTTPS_ONLY,
      originSslProtocols: [cloudfront.OriginSslPolicy.TLS_V1_2],
      connectionAttempts: 2,
      connectionTimeout: Duration.seconds(4),
    });
    const fallbackOrigin = origins.S3BucketOrigin.withOriginAccessControl(this.fallbackBucket);
    const siteWithFailover = new origins.OriginGroup({
      primaryOrigin: siteOrigin,
      fallbackOrigin,
      fallbackStatusCodes: [...FAILOVER_STATUS_CODES],
    });
    const sitePolicies = {
      cachePolicy: props.cachePolicy ?? cloudfront.CachePolicy.USE_ORIGIN_CACHE_CONTROL_HEADERS_QUERY_STRINGS,
      originRequestPolicy:
        props.originRequestPolicy ?? cloudfront.OriginRequestPolicy.ALL_VIEWER_EXCEPT_HOST_HEADER,
    };
    // Browsers must revalidate the real bootstrap on every page view (a cheap 304 from the edge cache),
    // so a flag flip reaches returning visitors at once instead of after the origin's max-age.
    const bootstrapHeaders = new cloudfront.ResponseHeadersPolicy(this, 'BootstrapHeaders', {
      comment: 'cx-surge: revalidate the Messenger bootstrap on every page view',
      customHeadersBehavior: {
        customHeaders: [{ header: 'Cache-Control', value: 'no-cache', override: true }],
      },
    });
    const fallbackCache = new cloudfront.CachePolicy(this, 'FallbackCache', {
      comment: 'cx-surge fallback site: short TTL so status updates show within a minute',
      defaultTtl: Duration.seconds(30),
      minTtl: Duration.seconds(0),
      maxTtl: Duration.seconds(60),
      enableAcceptEncodingGzip: true,
      enableAcceptEncodingBrotli: true,
    });
    const withCustomDomain = props.domainNames !== undefined && props.domainNames.length > 0;
    if (withCustomDomain !== (props.certificate !== undefined)) {
      throw new EdgeConfigError('certificate', 'give domainNames and certificate together, or neither');
    }

    this.distribution = new cloudfront.Distribution(this, 'Distribution', {
      comment: 'cx-surge edge: site with Tier 3 widget throttling and Tier 4 static fallback',
      defaultBehavior: {
        origin: siteWithFailover,
        viewerProtocolPolicy: cloudfront.ViewerProtocolPolicy.REDIRECT_TO_HTTPS,
        // Origin groups fail over only for GET/HEAD/OPTIONS; CloudFront rejects other methods on them.
        allowedMethods: cloudfront.AllowedMethods.ALLOW_GET_HEAD_OPTIONS,
        compress: true,
        ...sitePolicies,
      },
      additionalBehaviors: {
        [messengerScriptPath]: {
          origin: siteWithFailover,
          viewerProtocolPolicy: cloudfront.ViewerProtocolPolicy.REDIRECT_TO_HTTPS,
          allowedMethods: cloudfront.AllowedMethods.ALLOW_GET_HEAD_OPTIONS,
          compress: true,
          ...sitePolicies,
          responseHeadersPolicy: bootstrapHeaders,
          functionAssociations: [
            { function: this.widgetThrottleFunction, eventType: cloudfront.FunctionEventType.VIEWER_REQUEST },
          ],
        },
        [FALLBACK_PATH_PATTERN]: {
          origin: fallbackOrigin,
          viewerProtocolPolicy: cloudfront.ViewerProtocolPolicy.REDIRECT_TO_HTTPS,
          allowedMethods: cloudfront.AllowedMethods.ALLOW_GET_HEAD,
          compress: true,
          cachePolicy: fallbackCache,
        },
      },
      errorResponses:
        (props.fallbackOnForbidden ?? true)
          ? [
              {
                httpStatus: 403,
                responseHttpStatus: 503,
                responsePagePath: `/${FALLBACK_PAGE}`,
                ttl: Duration.seconds(10),
              },
            ]
          : [],
      ...(withCustomDomain
        ? {
            domainNames: props.domainNames,
            certificate: props.certificate,
            minimumProtocolVersion: cloudfront.SecurityPolicyProtocol.TLS_V1_2_2021,
          }
        : {}),
      ...(props.webAclId ? { webAclId: props.webAclId } : {}),
      priceClass: props.priceClass ?? cloudfront.PriceClass.PRICE_CLASS_ALL,
      httpVersion: cloudfront.HttpVersion.HTTP2_AND_3,
      enableLogging: true,
      logBucket,
      logFilePrefix: 'cloudfront/',
    });

    // ── Tier 4 signal ─────────────────────────────────────────────────────────────────────────────
    // Failover hides origin errors from viewers (and from the distribution's 5xx metric) exactly when it
    // works, so the origin's health is watched directly by Route 53; the viewer 5xx rate catches what
    // failover cannot save (the fallback failing too, or errors on paths it does not serve).
    const viewerErrors = new cloudwatch.Alarm(this, 'ViewerErrorRateAlarm', {
      alarmDescription: `cx-surge Tier 4: more than ${props.viewerErrorRatePercent ?? 5}% of viewer requests got a 5xx in 2 of the last 3 minutes`,
      // Built by hand: CloudFront publishes with DistributionId *and* Region=Global, and an alarm must name
      // both; Distribution.metric5xxErrorRate() omits Region, so it would watch a metric that never has data
      // (aws/aws-cdk#19245).
      metric: new cloudwatch.Metric({
        namespace: 'AWS/CloudFront',
        metricName: '5xxErrorRate',
        dimensionsMap: { DistributionId: this.distribution.distributionId, Region: 'Global' },
        statistic: 'Average',
        period: Duration.minutes(1),
      }),
      threshold: props.viewerErrorRatePercent ?? 5,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: 3,
      datapointsToAlarm: 2,
      // CloudFront publishes no datapoint for a minute without requests: no traffic, no errors.
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    const healthPath = props.originHealthCheckPath ?? '/';
    if (healthPath === false) {
      this.originErrorAlarm = viewerErrors;
    } else {
      if (!healthPath.startsWith('/'))
        throw new EdgeConfigError('originHealthCheckPath', `must start with '/', got '${healthPath}'`);
      this.originHealthCheck = new route53.HealthCheck(this, 'OriginHealthCheck', {
        type: route53.HealthCheckType.HTTPS,
        fqdn: props.originDomainName,
        port: 443,
        resourcePath: healthPath,
        enableSNI: true,
        requestInterval: Duration.seconds(ORIGIN_HEALTH_SIGNAL.requestIntervalSeconds),
        failureThreshold: ORIGIN_HEALTH_SIGNAL.failureThreshold,
      });
      const originDown = new cloudwatch.Alarm(this, 'OriginHealthAlarm', {
        alarmDescription: `cx-surge Tier 4: Route 53 health checkers find https://${props.originDomainName}${healthPath} unhealthy for 2 minutes`,
        metric: new cloudwatch.Metric({
          namespace: 'AWS/Route53',
          metricName: 'HealthCheckStatus',
          dimensionsMap: { HealthCheckId: this.originHealthCheck.healthCheckId },
          statistic: 'Minimum',
          period: Duration.seconds(ORIGIN_HEALTH_SIGNAL.periodSeconds),
        }),
        threshold: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
        evaluationPeriods: ORIGIN_HEALTH_SIGNAL.evaluationPeriods,
        datapointsToAlarm: ORIGIN_HEALTH_SIGNAL.datapointsToAlarm,
        // Route 53 reports every minute while the check exists; a gap is a monitoring problem, not an outage.
        treatMissingData: cloudwatch.TreatMissingData.MISSING,
      });
      this.originErrorAlarm = new cloudwatch.CompositeAlarm(this, 'OriginErrorAlarm', {
        alarmDescription:
          'cx-surge Tier 4 signal: the site origin is failing (health check down or viewer 5xx rate high); ' +
          'visitors are being served the static fallback page. State changes go to the controller via EventBridge.',
        alarmRule: cloudwatch.AlarmRule.anyOf(
          cloudwatch.AlarmRule.fromAlarm(originDown, cloudwatch.AlarmState.ALARM),
          cloudwatch.AlarmRule.fromAlarm(viewerErrors, cloudwatch.AlarmState.ALARM),
        ),
      });
    }

    const region = Stack.of(this).region;
    if (!Token.isUnresolved(region) && region !== 'us-east-1') {
      Annotations.of(this).addError(
        `SurgeEdge must be deployed in us-east-1 (stack region is ${region}): CloudFront and Route 53 metrics exist only there`,
      );
    }

    new CfnOutput(this, 'KeyValueStoreArn', {
      value: this.keyValueStore.keyValueStoreArn,
      description: 'cx-surge edge set-flag --kvs-arn',
    });
    new CfnOutput(this, 'DistributionDomainName', { value: this.distribution.distributionDomainName });
    new CfnOutput(this, 'FallbackBucketName', {
      value: this.fallbackBucket.bucketName,
      description: 'upload support-fallback-status.json here during an outage',
    });

    this.acknowledgeNagFindings(withCustomDomain, props.webAclId !== undefined);
    this.acknowledgeDeploymentHandlerFindings(deployment);
  }

  /**
   * Lets `fn` switch the Tier 3 flag: exactly the data-plane actions the cloudfront-kvs actuator uses,
   * on this store only, and EDGE_KVS_ARN in its environment.
   */
  bindFlagWriter(fn: lambda.IFunction): void {
    if (!(fn instanceof lambda.Function)) {
      throw new EdgeConfigError(
        'bindFlagWriter',
        `cannot set ${EnvVar.EdgeKvsArn} on imported function ${fn.node.path}`,
      );
    }
    fn.addToRolePolicy(
      new iam.PolicyStatement({
        actions: [...KVS_FLAG_WRITER_ACTIONS],
        resources: [this.keyValueStore.keyValueStoreArn],
      }),
    );
    fn.addEnvironment(EnvVar.EdgeKvsArn, this.keyValueStore.keyValueStoreArn);
  }

  private acknowledgeNagFindings(withCustomDomain: boolean, withWaf: boolean): void {
    const ack = (id: string, reason: string) => Validations.of(this).acknowledge({ id, reason });
    ack(
      'AwsSolutions-CFR1',
      'Geo restriction would hide the support fallback and the capacity notice from the very customers it is for; restrict at the origin or with WAF if required.',
    );
    if (!withWaf) {
      ack(
        'AwsSolutions-CFR2',
        'The site owner attaches their existing web ACL through the webAclId prop; the edge adds no endpoints of its own beyond a static page.',
      );
    }
    if (!withCustomDomain) {
      ack(
        'AwsSolutions-CFR4',
        'Without domainNames/certificate the distribution uses the default *.cloudfront.net certificate, for which CloudFront fixes the TLSv1 policy; with a certificate the construct sets TLS_V1_2_2021.',
      );
    }
    ack(
      'AwsSolutions-S1',
      'The AccessLogs bucket is the log destination for the distribution and the fallback bucket; logging it into itself would recurse.',
    );
  }

  /**
   * BucketDeployment's handler is a stack-level singleton owned by aws-cdk-lib; its findings are acknowledged
   * on that handler only, one by one, so a wildcard anywhere else still fails the check.
   */
  private acknowledgeDeploymentHandlerFindings(deployment: s3deploy.BucketDeployment): void {
    const handler = deployment.handlerRole.node.scope;
    if (!handler) return;
    const ack = (id: string, reason: string) => Validations.of(handler).acknowledge({ id, reason });
    const why =
      'CDK BucketDeployment handler (deploy-time only) copying the fallback site from the CDK asset bucket:';
    ack(
      'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
      `${why} the AWS managed basic execution policy only lets it write its own logs.`,
    );
    for (const action of ['s3:GetObject*', 's3:GetBucket*', 's3:List*', 's3:DeleteObject*', 's3:Abort*']) {
      ack(
        `AwsSolutions-IAM5[Action::${action}]`,
        `${why} CDK grants ${action} for object copy and sync; scoped to the two buckets.`,
      );
    }
    const stack = Stack.of(this);
    const fallbackId = stack.resolve((this.fallbackBucket.node.defaultChild as s3.CfnBucket).logicalId);
    ack(
      `AwsSolutions-IAM5[Resource::<${fallbackId}.Arn>/*]`,
      `${why} writes objects of this construct's fallback bucket only.`,
    );
    // The default bootstrap's asset bucket; a custom synthesizer bucket leaves this one finding visible.
    const qualifier =
      stack.node.tryGetContext('@aws-cdk/core:bootstrapQualifier') ??
      DefaultStackSynthesizer.DEFAULT_QUALIFIER;
    const part = (value: string, pseudo: string) => (Token.isUnresolved(value) ? `<${pseudo}>` : value);
    const assets = `cdk-${qualifier}-assets-${part(stack.account, 'AWS::AccountId')}-${part(stack.region, 'AWS::Region')}`;
    ack(
      `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:s3:::${assets}/*]`,
      `${why} reads the site files CDK uploaded as assets.`,
    );
    ack('AwsSolutions-L1', `${why} its runtime is chosen by aws-cdk-lib, not by this construct.`);
  }
}
