import assert from 'node:assert/strict';
import { msgIdSequence } from '../../nodes/stream-in/msg-id';

describe('stream-in msg ids', () => {
  it('are 16 hex digits like Node-RED ids (a random prefix, then a counter), all different', () => {
    const draws = [0.5, 0.25];
    const next = msgIdSequence(() => draws.shift() ?? 0);
    const ids = Array.from({ length: 10_000 }, next);
    assert.ok(ids.every((id) => /^[0-9a-f]{16}$/.test(id)), 'every id is 16 lowercase hex digits');
    assert.equal(new Set(ids).size, ids.length);
    assert.equal(ids[0], '8000000000000000');
    assert.equal(ids[9_999], '800000000000270f');
  });
});
