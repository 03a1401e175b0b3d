import { test } from 'node:test';
import assert from 'node:assert/strict';
import { amzDate, EMPTY_SHA256, signRequest, uriEncode } from './sigv4.ts';

test('signs AWS\'s published S3 example (GET /test.txt with a Range header) to the published signature', () => {
  const signed = signRequest({
    method: 'GET',
    path: '/test.txt',
    query: {},
    headers: { Host: 'examplebucket.s3.amazonaws.com', Range: 'bytes=0-9', 'x-amz-content-sha256': EMPTY_SHA256, 'x-amz-date': '20130524T000000Z' },
    payloadHash: EMPTY_SHA256,
    region: 'us-east-1',
    service: 's3',
    accessKeyId: 'AKIAIOSFODNN7EXAMPLE',
    secretAccessKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
  });
  assert.equal(
    signed.authorization,
    'AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request,SignedHeaders=host;range;x-amz-content-sha256;x-amz-date,Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41',
  );
});

test('paths are encoded per RFC 3986 with slashes kept; dates are yyyymmddThhmmssZ', () => {
  assert.equal(uriEncode('/bucket/a b+c~d_(1).csv', true), '/bucket/a%20b%2Bc~d_%281%29.csv');
  assert.equal(uriEncode('a/b', false), 'a%2Fb');
  assert.equal(uriEncode('é', true), '%C3%A9');
  assert.equal(amzDate(new Date('2026-11-23T01:02:03.456Z')), '20261123T010203Z');
});
