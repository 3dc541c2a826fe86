'use strict';
// MessageJoiner: messages delivered in pieces joined by association,
// stream and ordering; what does not fit is refused.

const { describe, it } = require('node:test');
const assert = require('node:assert/strict');
const { sctpgw } = require('../testing/support');

const { MessageJoiner, IncompleteMessage, MessageTooLarge } = sctpgw;

function piece(text, offset, moreFollows, fields = {}) {
  return {
    associationId: '7', stream: 1, unordered: false, ppid: 46, ssn: 3, tsn: 100,
    payload: Buffer.from(text), offset: String(offset), moreFollows, ...fields,
  };
}

describe('MessageJoiner', () => {
  it('returns a whole message at once, as it is', () => {
    const whole = piece('whole', 0, false);
    assert.equal(new MessageJoiner().add(whole), whole);
  });

  it('joins pieces, keeping the first piece fields', () => {
    const joiner = new MessageJoiner();
    assert.equal(joiner.add(piece('abc', 0, true)), null);
    assert.equal(joiner.add(piece('def', 3, true, { tsn: 101 })), null);
    assert.equal(joiner.pending(), 1);
    const whole = joiner.add(piece('g', 6, false, { tsn: 102 }));
    assert.equal(whole.payload.toString(), 'abcdefg');
    assert.deepEqual([whole.offset, whole.moreFollows, whole.tsn, whole.ppid], ['0', false, 100, 46]);
    assert.equal(joiner.pending(), 0);
  });

  it('keeps messages of other streams, orderings and associations apart', () => {
    const joiner = new MessageJoiner();
    assert.equal(joiner.add(piece('a1', 0, true)), null);
    assert.equal(joiner.add(piece('b1', 0, true, { stream: 2 })), null);
    assert.equal(joiner.add(piece('u', 0, false, { unordered: true })).payload.toString(), 'u');
    assert.equal(joiner.add(piece('c1', 0, true, { associationId: '8' })), null);
    assert.equal(joiner.add(piece('b2', 2, false, { stream: 2 })).payload.toString(), 'b1b2');
    assert.equal(joiner.add(piece('a2', 2, false)).payload.toString(), 'a1a2');
    assert.equal(joiner.pending(), 1);
    joiner.discard('8');
    assert.equal(joiner.pending(), 0);
  });

  it('refuses a piece that does not continue its message', () => {
    const joiner = new MessageJoiner();
    assert.throws(() => joiner.add(piece('late', 4, false)), IncompleteMessage);
    joiner.add(piece('abc', 0, true));
    assert.throws(() => joiner.add(piece('x', 5, false)), (error) => error instanceof IncompleteMessage &&
      /offset 5 after 3 bytes/.test(error.message) && error.piece.payload.toString() === 'x');
    assert.equal(joiner.pending(), 0);
    joiner.add(piece('abc', 0, true));
    assert.throws(() => joiner.add(piece('new', 0, true)), /a new message began after 3 bytes/);
  });

  it('refuses a message above maxMessageBytes', () => {
    const joiner = new MessageJoiner({ maxMessageBytes: 5 });
    joiner.add(piece('abc', 0, true));
    assert.throws(() => joiner.add(piece('def', 3, true)), MessageTooLarge);
    assert.equal(joiner.pending(), 0);
  });

  it('join() takes messages and arrays of them, synchronous or not', async () => {
    async function* batches() {
      yield [piece('ab', 0, true), piece('one', 0, false, { stream: 3 })];
      yield piece('cd', 2, false);
    }
    const joined = [];
    for await (const message of new MessageJoiner().join(batches())) joined.push(message.payload.toString());
    assert.deepEqual(joined, ['one', 'abcd']);
    const fromArray = [];
    for await (const message of new MessageJoiner().join([[piece('x', 0, false)]])) fromArray.push(message);
    assert.equal(fromArray.length, 1);
  });

  it('replyOptions gives a message\'s stream, PPID and ordering', () => {
    assert.deepEqual(sctpgw.replyOptions(piece('x', 0, false)), { stream: 1, ppid: 46, unordered: false });
  });
});
