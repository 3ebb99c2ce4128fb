/**
 * Removes a provider node's own credential values from text an upstream supplied (an error
 * body, a close reason) before anyone logs, shows or sends it. A server or proxy that echoes
 * the request would otherwise hand the secret back verbatim, or in the encoded forms a request
 * carries it in: base64 (a JWT part, a Basic header), URL encoding (a query or form body) and
 * HTTP Basic's base64(clientId:clientSecret). FeedSession applies it to every text an adapter
 * reports, so no provider has to remember to.
 */
import { MarketError, type MarketErrorDetails } from './errors';
import type { Logger } from './logger';
import type { Credentials } from './provider';

export const REDACTED = '***';

/**
 * Values shorter than this are left alone: replacing "1" or "abc" everywhere would garble every
 * text ("HTTP 401") and such a value protects nothing.
 */
const MIN_SECRET_LENGTH = 4;

export type Redactor = (text: string) => string;

/** A redactor for these credentials; the identity when there are none. */
export function createRedactor(credentials: Credentials): Redactor {
  const values = Object.values(credentials).filter((value): value is string => typeof value === 'string' && value.length >= MIN_SECRET_LENGTH);
  if (values.length === 0) return (text) => text;
  const forms = new Set<string>();
  for (const value of values) for (const form of encodedForms(value)) forms.add(form);
  // HTTP Basic pairs every credential with every other (which two are user and password is the provider's business).
  for (const user of values) for (const password of values) if (user !== password) forms.add(base64(`${user}:${password}`)).add(base64url(`${user}:${password}`));
  // Longest first, so a Basic form goes before the secret it contains.
  const ordered = [...forms].filter((form) => form.length >= MIN_SECRET_LENGTH).sort((a, b) => b.length - a.length);
  return (text) => {
    let out = text;
    for (const form of ordered) if (out.includes(form)) out = out.split(form).join(REDACTED);
    return out;
  };
}

/** The same MarketError with its message and the provider's reason redacted. */
export function redactError(error: MarketError, redact: Redactor): MarketError {
  const message = redact(error.message);
  const reason = error.reason === undefined ? undefined : redact(error.reason);
  if (message === error.message && reason === error.reason) return error;
  const details: MarketErrorDetails = {};
  if (error.provider !== undefined) details.provider = error.provider;
  if (error.symbol !== undefined) details.symbol = error.symbol;
  if (error.channel !== undefined) details.channel = error.channel;
  if (reason !== undefined) details.reason = reason;
  return new MarketError(error.code, message, details);
}

/** A logger that redacts every line before `log` sees it. */
export function redactingLogger(log: Logger, redact: Redactor): Logger {
  return {
    debug: (message) => log.debug(redact(message)),
    info: (message) => log.info(redact(message)),
    warn: (message) => log.warn(redact(message)),
    error: (message) => log.error(redact(message)),
  };
}

function encodedForms(value: string): string[] {
  return [
    value,
    encodeURIComponent(value),
    new URLSearchParams({ v: value }).toString().slice(2),
    JSON.stringify(value).slice(1, -1),
    base64(value),
    base64(value).replace(/=+$/, ''),
    base64url(value),
  ];
}

function base64(text: string): string {
  return Buffer.from(text, 'utf8').toString('base64');
}

function base64url(text: string): string {
  return Buffer.from(text, 'utf8').toString('base64url');
}
