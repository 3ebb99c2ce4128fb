/**
 * Collects every credential and token a test configured or a fake issued, and everything a
 * user could see (log lines, statuses, msgs, errors, flow exports), then checks that none of
 * the secrets appears in any of it.
 */
import assert from 'node:assert/strict';
import type { Logger } from '../../src/model/logger';

export class SecretWatch {
  private readonly secrets = new Set<string>();
  private readonly captured: string[] = [];
  private readonly sources: Array<() => readonly string[]> = [];

  /** Credentials the test configured. */
  secret(...values: string[]): void {
    for (const value of values) if (value) this.secrets.add(value);
  }

  /** Tokens a fake hands out, read at check time (the list grows while the test runs). */
  issuedBy(source: () => readonly string[]): void {
    this.sources.push(source);
  }

  /** Anything a user could see; objects are serialized (Errors with message and reason). */
  capture(value: unknown): void {
    this.captured.push(typeof value === 'string' ? value : JSON.stringify(value, (_key, v: unknown) => (v instanceof Error ? { ...v, message: v.message } : v)));
  }

  logger(): Logger {
    return {
      debug: (m) => this.capture(m),
      info: (m) => this.capture(m),
      warn: (m) => this.capture(m),
      error: (m) => this.capture(m),
    };
  }

  /** How many texts were captured (a check over nothing would prove nothing). */
  get capturedCount(): number {
    return this.captured.length;
  }

  assertClean(): void {
    const secrets = [...this.secrets, ...this.sources.flatMap((source) => source())];
    assert.ok(secrets.length > 0, 'no secrets registered');
    for (const text of this.captured) {
      for (const secret of secrets) assert.ok(!text.includes(secret), `a secret (${secret.slice(0, 6)}…) appears in: ${text.slice(0, 200)}`);
    }
  }
}
