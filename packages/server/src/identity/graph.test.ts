import { test } from 'node:test';
import assert from 'node:assert/strict';
import { identityKey, soloProfileId, soloProfileIdentity } from './graph.ts';

test('a solo profile id is namespace:value and reads back as its identity; graph ids and ids without a namespace are not solo', () => {
  const key = identityKey('Email', 'ann:x@example.com');
  assert.equal(soloProfileId(key), 'Email:ann:x@example.com');
  assert.equal(soloProfileIdentity(soloProfileId(key)), key, 'a colon in the value survives');
  assert.equal(soloProfileIdentity('prs_5f0c2a9e41b7d3c86a12fe07'), undefined);
  assert.equal(soloProfileIdentity(':value'), undefined);
});
