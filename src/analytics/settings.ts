/**
 * Reading analytics node settings from the editor: values arrive as numbers or strings (an
 * emptied field is ""), so each is parsed, defaulted and range-checked here. A bad value is a
 * MarketError('CONFIG') whose message names the field and says what it accepts.
 */
import { MarketError } from '../model/errors';

export interface NumberField {
  /** The field's name in the editor, as the user reads it. */
  label: string;
  fallback: number;
  min: number;
  max?: number;
  integer?: boolean;
  /** Text appended to the error, e.g. "(0 = off)". */
  hint?: string;
}

/** A number from a config value: empty or missing gives the fallback; anything else must parse and fit. */
export function readNumber(value: unknown, field: NumberField): number {
  if (value === undefined || value === null || (typeof value === 'string' && value.trim() === '')) return field.fallback;
  const number = typeof value === 'number' ? value : typeof value === 'string' ? Number(value.trim()) : Number.NaN;
  const fits = Number.isFinite(number) && number >= field.min && (field.max === undefined || number <= field.max) && (!field.integer || Number.isInteger(number));
  if (!fits) {
    const kind = field.integer ? 'a whole number' : 'a number';
    const range = field.max === undefined ? `≥ ${field.min}` : `from ${field.min} to ${field.max}`;
    throw new MarketError('CONFIG', `${field.label} must be ${kind} ${range}${field.hint ? ` ${field.hint}` : ''}, got ${JSON.stringify(value)}`);
  }
  return number;
}

/** One of a fixed list of strings; empty or missing gives the fallback. */
export function readChoice<T extends string>(value: unknown, label: string, choices: readonly T[], fallback: T): T {
  if (value === undefined || value === null || value === '') return fallback;
  if (typeof value === 'string' && (choices as readonly string[]).includes(value)) return value as T;
  throw new MarketError('CONFIG', `${label} must be one of ${choices.join(', ')}, got ${JSON.stringify(value)}`);
}
