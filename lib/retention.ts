import { Duration } from 'aws-cdk-lib';
import type * as s3 from 'aws-cdk-lib/aws-s3';

/**
 * Days a replaced (noncurrent) object version stays in the pipeline's versioned buckets. Nothing a
 * rollback reads is noncurrent: CodePipeline never overwrites an artifact (each execution writes
 * new keys, so a stage rollback's release.json stays current), a `desired_version` rollback reads
 * images from ECR, and an S3 source's version is copied into the artifact bucket when its execution
 * starts. The bound covers a retried Please_approve of an execution that waited out a 7-day approval.
 */
export const NONCURRENT_VERSION_DAYS = 30;

/** Noncurrent versions expire after NONCURRENT_VERSION_DAYS (the newest 10 stay regardless); unfinished multipart uploads after 7 days. */
export const VERSIONED_BUCKET_LIFECYCLE: s3.LifecycleRule[] = [
  {
    id: 'expire-replaced-versions',
    noncurrentVersionExpiration: Duration.days(NONCURRENT_VERSION_DAYS),
    noncurrentVersionsToRetain: 10,
    abortIncompleteMultipartUploadAfter: Duration.days(7),
  },
];
