/**
 * The JWT Coinbase expects in each subscribe message when credentials are set (docs/protocols/coinbase.md A2):
 * header {alg: ES256 | EdDSA, kid: key name, nonce}, claims {sub: key name, iss: "cdp", nbf,
 * exp: nbf + 120}; no `uri` claim for WebSocket. A fresh one per message: they live 2 minutes.
 * The secret is the CDP key's EC private key (PEM, ES256) or its Ed25519 key (base64, EdDSA).
 */
import crypto from 'node:crypto';
import { MarketError } from '../../model/errors';

export interface JwtSigner {
  /** A fresh token, valid for 120 s from `nowMs`. */
  token(nowMs: number): string;
}

const ED25519_PKCS8_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex');

export function createJwtSigner(keyName: string, secret: string): JwtSigner {
  const { key, alg } = privateKeyFrom(secret);
  return {
    token(nowMs) {
      const now = Math.floor(nowMs / 1000);
      const header = { alg, kid: keyName, nonce: crypto.randomBytes(16).toString('hex'), typ: 'JWT' };
      const claims = { sub: keyName, iss: 'cdp', nbf: now, exp: now + 120 };
      const signingInput = `${base64url(JSON.stringify(header))}.${base64url(JSON.stringify(claims))}`;
      const signature = alg === 'ES256'
        ? crypto.sign('sha256', Buffer.from(signingInput), { key, dsaEncoding: 'ieee-p1363' })
        : crypto.sign(null, Buffer.from(signingInput), key);
      return `${signingInput}.${signature.toString('base64url')}`;
    },
  };
}

function privateKeyFrom(secret: string): { key: crypto.KeyObject; alg: 'ES256' | 'EdDSA' } {
  const text = secret.trim().replace(/\\n/g, '\n');
  try {
    if (text.includes('-----BEGIN')) {
      const key = crypto.createPrivateKey(text);
      if (key.asymmetricKeyType === 'ec') return { key, alg: 'ES256' };
      if (key.asymmetricKeyType === 'ed25519') return { key, alg: 'EdDSA' };
    } else {
      const raw = Buffer.from(text, 'base64');
      if (raw.length === 64 || raw.length === 32) {
        const key = crypto.createPrivateKey({ key: Buffer.concat([ED25519_PKCS8_PREFIX, raw.subarray(0, 32)]), format: 'der', type: 'pkcs8' });
        return { key, alg: 'EdDSA' };
      }
    }
  } catch {
    // fall through to the explanation below
  }
  throw new MarketError('CONFIG', 'Coinbase: the API secret must be the private key of a CDP API key: the EC key in PEM form ("-----BEGIN EC PRIVATE KEY-----…") or the Ed25519 key in base64', { provider: 'coinbase' });
}

function base64url(text: string): string {
  return Buffer.from(text).toString('base64url');
}
