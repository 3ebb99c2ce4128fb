/**
 * Malformed frames made from real ones: a frame the fake was about to send is turned into one of
 * six kinds of garbage, each of which a correct adapter must skip and report exactly once.
 *
 *  - truncated: cut somewhere inside (a strict prefix of a JSON object is never valid JSON);
 *  - empty: a text frame with nothing in it;
 *  - binary: the same bytes in a binary frame (every venue here sends text);
 *  - wrong type: one field the adapter relies on gets a value of another type;
 *  - huge number: one number (or numeric text) too large for a double, or an id past 2^53;
 *  - unknown type: the event type / channel / service / message type is one nobody documented.
 *
 * Which fields are touched is given per frame shape (`FrameShape`), from the protocol documents:
 * only fields whose wrong value cannot be read as anything correct.
 */
import type { OutgoingFrame } from '../fakes/fault-hooks';
import { pick } from './helpers';

export const MUTATION_KINDS = ['truncated', 'empty', 'binary', 'wrongType', 'hugeNumber', 'unknownType'] as const;
export type MutationKind = (typeof MUTATION_KINDS)[number];

type Path = ReadonlyArray<string | number>;

export interface FrameShape {
  /** Fields and the wrong-typed values each may get. */
  wrongType: ReadonlyArray<{ path: Path; values: readonly unknown[] }>;
  /** Fields and the JSON literals (written as is) too large for what they hold. */
  hugeNumber: ReadonlyArray<{ path: Path; literals: readonly string[] }>;
  /** Fields naming the event type, and made-up names for them. */
  unknownType: ReadonlyArray<{ path: Path; values: readonly unknown[] }>;
}

/** Values of the wrong type for a field that holds text or a number. */
export const NOT_TEXT = [{}, [], true, null, 12];
export const NOT_NUMBER = [{}, [], true, null, 'x'];
export const NOT_A_LIST = [{}, 'x', 5, true];
/** Too large for a double (JSON.parse gives Infinity), as a number and as decimal text. */
export const HUGE_NUMBER = ['1e400', '-1e400', `9${'9'.repeat(400)}`];
export const HUGE_TEXT = ['"1e400"', `"9${'9'.repeat(400)}"`];
/** Whole numbers past 2^53: a double cannot hold them exactly (ids, sequence numbers). */
export const HUGE_ID = ['123456789012345678901234567890', '1e400', '9007199254740993'];

const MARKER = '\u0001HUGE\u0001';

/** The frame, made malformed in the given way. */
export function mutate(text: string, kind: MutationKind, shape: FrameShape, random: () => number): OutgoingFrame {
  switch (kind) {
    case 'truncated':
      return { data: text.slice(0, 1 + Math.floor(random() * (text.length - 1))), binary: false };
    case 'empty':
      return { data: '', binary: false };
    case 'binary':
      return { data: Buffer.from(text), binary: true };
    case 'wrongType': {
      const field = pick(random, shape.wrongType);
      return { data: JSON.stringify(withValue(JSON.parse(text), field.path, pick(random, field.values))), binary: false };
    }
    case 'hugeNumber': {
      const field = pick(random, shape.hugeNumber);
      const marked = JSON.stringify(withValue(JSON.parse(text), field.path, MARKER));
      return { data: marked.replace(JSON.stringify(MARKER), pick(random, field.literals)), binary: false };
    }
    case 'unknownType': {
      const field = pick(random, shape.unknownType);
      return { data: JSON.stringify(withValue(JSON.parse(text), field.path, pick(random, field.values))), binary: false };
    }
  }
}

/** Sets the value at `path`; a path that does not exist in this frame is an error in the test. */
function withValue(frame: unknown, path: Path, value: unknown): unknown {
  let node = frame as Record<string | number, unknown>;
  for (const key of path.slice(0, -1)) {
    const next = node[key];
    if (next === null || typeof next !== 'object') throw new Error(`mutation path ${path.join('.')} is not in the frame`);
    node = next as Record<string | number, unknown>;
  }
  const last = path[path.length - 1] as string | number;
  if (!(last in node)) throw new Error(`mutation path ${path.join('.')} is not in the frame`);
  node[last] = value;
  return frame;
}
