/**
 * The redactor every upstream text passes through (src/model/redact.ts): a provider node's own
 * credential values go, in every form a request carries them; other text stays as it was.
 */
import assert from 'node:assert/strict';
import { MarketError } from '../../src/model/errors';
import { createRedactor, redactError, REDACTED } from '../../src/model/redact';

describe('createRedactor', () => {
  const clientId = 'app-key 1/2+3';
  const clientSecret = 'sécret&=value?';
  const redact = createRedactor({ clientId, clientSecret, accountId: '12' });

  it('removes each credential raw, base64, URL-encoded, form-encoded and JSON-escaped', () => {
    for (const value of [clientId, clientSecret]) {
      const forms = [value, Buffer.from(value).toString('base64'), Buffer.from(value).toString('base64url'), encodeURIComponent(value), new URLSearchParams({ v: value }).toString().slice(2)];
      for (const form of forms) assert.equal(redact(`before ${form} after`), `before ${REDACTED} after`, form);
    }
  });

  it('removes the HTTP Basic form base64(clientId:clientSecret)', () => {
    const basic = Buffer.from(`${clientId}:${clientSecret}`).toString('base64');
    assert.equal(redact(`authorization: Basic ${basic}`), `authorization: Basic ${REDACTED}`);
  });

  it('leaves other text and values too short to be secrets alone', () => {
    assert.equal(redact('HTTP 401 (invalid_grant) for account 12'), 'HTTP 401 (invalid_grant) for account 12');
    assert.equal(createRedactor({})('anything'), 'anything');
  });

  it('redacts a MarketError\'s message and reason and keeps its code and details', () => {
    const error = redactError(new MarketError('AUTH', `refused ${clientSecret}`, { provider: 'schwab', symbol: 'SPY', reason: `echo ${encodeURIComponent(clientSecret)}` }), redact);
    assert.deepEqual([error.code, error.message, error.reason, error.provider, error.symbol], ['AUTH', `refused ${REDACTED}`, `echo ${REDACTED}`, 'schwab', 'SPY']);
    assert.ok(!error.stack?.includes(clientSecret));
  });
});
