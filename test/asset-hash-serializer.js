/** Masks 64-hex asset hashes (S3Key, image tags) so snapshots change only when the template does. */
const HASH = /[0-9a-f]{64}/g;
module.exports = {
  test: (value) => typeof value === 'string' && /[0-9a-f]{64}/.test(value),
  serialize: (value) => JSON.stringify(value.replace(HASH, '<asset-hash>')),
};
