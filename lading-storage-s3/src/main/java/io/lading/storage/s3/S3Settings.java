package io.lading.storage.s3;

import java.net.URI;
import java.time.Duration;
import java.util.Objects;

/**
 * What the S3 driver needs to know, in the terms of distribution's {@code storage.s3} section.
 *
 * @param bucket           the bucket (it must exist)
 * @param region           the bucket's region
 * @param endpoint         regionendpoint: an S3-compatible service's URL, or null for Amazon S3
 * @param redirectEndpoint redirectendpoint: the URL presigned download URLs point at, or null for the endpoint
 * @param forcePathStyle   forcepathstyle: bucket in the path instead of the host name
 * @param accessKey        accesskey, or null/empty for the SDK's default credentials (environment, profile, IAM)
 * @param secretKey        secretkey, with accessKey
 * @param rootDirectory    rootdirectory: a key prefix for every file, "" for the bucket's root
 * @param chunkSize        chunksize: the part size of multipart uploads (at least 5 MiB)
 * @param copyChunkSize    multipartcopychunksize: the part size when copying objects past the threshold
 * @param copyThreshold    multipartcopythresholdsize: objects larger than this are copied in parts
 * @param copyConcurrency  multipartcopymaxconcurrency: parts copied at once
 * @param storageClass     storageclass (STANDARD by default), or null to leave it to the bucket
 * @param encrypt          encrypt: server-side encryption (SSE-S3, or SSE-KMS with keyId)
 * @param keyId            keyid: the KMS key with encrypt, else null
 * @param objectAcl        objectacl: a canned ACL ("private" by default)
 * @param secure           secure: https when the endpoint has no scheme of its own
 * @param skipVerify       skipverify: trust any TLS certificate of the endpoint
 * @param userAgent        useragent, or null
 * @param dualStack        usedualstack
 * @param accelerate       accelerate
 * @param fips             usefipsendpoint
 * @param redirectExpiry   how long a presigned download URL stays valid
 */
public record S3Settings(String bucket, String region, URI endpoint, URI redirectEndpoint, boolean forcePathStyle,
                         String accessKey, String secretKey, String rootDirectory, long chunkSize,
                         long copyChunkSize, long copyThreshold, int copyConcurrency, String storageClass,
                         boolean encrypt, String keyId, String objectAcl, boolean secure, boolean skipVerify,
                         String userAgent, boolean dualStack, boolean accelerate, boolean fips,
                         Duration redirectExpiry) {
    /** The smallest part S3 accepts in a multipart upload, but for the last one. */
    public static final long MIN_PART = 5L * 1024 * 1024;
    /** The largest object one PUT or one copy may create, and the largest part. */
    public static final long MAX_PUT = 5L * 1024 * 1024 * 1024;

    public S3Settings {
        Objects.requireNonNull(bucket, "bucket");
        Objects.requireNonNull(region, "region");
        rootDirectory = rootDirectory == null ? "" : rootDirectory.replaceAll("^/+|/+$", "");
        if (chunkSize < MIN_PART || chunkSize > MAX_PUT) {
            throw new IllegalArgumentException("chunksize must be between 5 MiB and 5 GiB, not " + chunkSize);
        }
        if (copyChunkSize < MIN_PART || copyChunkSize > MAX_PUT) {
            throw new IllegalArgumentException("multipartcopychunksize must be between 5 MiB and 5 GiB, not "
                    + copyChunkSize);
        }
        if (copyThreshold < 0 || copyThreshold > MAX_PUT) {
            throw new IllegalArgumentException("multipartcopythresholdsize must be between 0 and 5 GiB, not "
                    + copyThreshold);
        }
        if (copyConcurrency < 1) {
            throw new IllegalArgumentException("multipartcopymaxconcurrency must be at least 1");
        }
    }

    /** Settings with distribution's defaults for everything but the bucket, region, endpoint and keys. */
    public static S3Settings of(String bucket, String region, URI endpoint, String accessKey, String secretKey) {
        return new S3Settings(bucket, region, endpoint, null, endpoint != null, accessKey, secretKey, "",
                10L * 1024 * 1024, 32L * 1024 * 1024, 32L * 1024 * 1024, 100, "STANDARD", false, null, "private",
                true, false, null, false, false, false, Duration.ofMinutes(20));
    }

    /** These settings with another root directory. */
    public S3Settings withRootDirectory(String root) {
        return new S3Settings(bucket, region, endpoint, redirectEndpoint, forcePathStyle, accessKey, secretKey, root,
                chunkSize, copyChunkSize, copyThreshold, copyConcurrency, storageClass, encrypt, keyId, objectAcl,
                secure, skipVerify, userAgent, dualStack, accelerate, fips, redirectExpiry);
    }

    /** These settings with another part size. */
    public S3Settings withChunkSize(long size) {
        return new S3Settings(bucket, region, endpoint, redirectEndpoint, forcePathStyle, accessKey, secretKey,
                rootDirectory, size, copyChunkSize, copyThreshold, copyConcurrency, storageClass, encrypt, keyId,
                objectAcl, secure, skipVerify, userAgent, dualStack, accelerate, fips, redirectExpiry);
    }

    /** These settings with another copy part size and threshold. */
    public S3Settings withCopyParts(long size, long threshold) {
        return new S3Settings(bucket, region, endpoint, redirectEndpoint, forcePathStyle, accessKey, secretKey,
                rootDirectory, chunkSize, size, threshold, copyConcurrency, storageClass, encrypt, keyId,
                objectAcl, secure, skipVerify, userAgent, dualStack, accelerate, fips, redirectExpiry);
    }

    /** These settings, trusting any certificate of the endpoint or not. */
    public S3Settings withSkipVerify(boolean skip) {
        return new S3Settings(bucket, region, endpoint, redirectEndpoint, forcePathStyle, accessKey, secretKey,
                rootDirectory, chunkSize, copyChunkSize, copyThreshold, copyConcurrency, storageClass, encrypt, keyId,
                objectAcl, secure, skip, userAgent, dualStack, accelerate, fips, redirectExpiry);
    }
}
