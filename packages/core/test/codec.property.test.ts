import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeSession, encodeSession } from '../src/index.js';

const context = { store: '@sessionstore/core', method: 'upsert()' };

// Keys drawn to collide with the codec's own syntax: tags, escapes, paths and the prototype.
const key = fc.oneof(
  fc.string(),
  fc.constantFrom(
    '$date',
    '$bigint',
    '$bytes',
    '$number',
    '$$date',
    '$',
    '$$',
    'a.b',
    '',
    '__proto__',
  ),
);

const leaf = fc.oneof(
  fc.string({ unit: 'grapheme' }),
  fc.string({ unit: 'binary' }),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.boolean(),
  fc.constant(null),
  fc.bigInt(),
  fc.date({ noInvalidDate: true }),
  fc.uint8Array({ maxLength: 16 }),
);

const { tree } = fc.letrec((tie) => ({
  tree: fc.oneof({ depthSize: 'small' }, leaf, tie('array'), tie('object')),
  array: fc.array(tie('tree'), { maxLength: 4 }),
  object: fc.dictionary(key, tie('tree'), { maxKeys: 4, noNullPrototype: true }),
}));

describe('codec properties', () => {
  it('decodes what it encodes to an equal value, for any mix of supported values and keys', () => {
    fc.assert(
      fc.property(fc.dictionary(key, tree, { maxKeys: 6, noNullPrototype: true }), (value) => {
        const decoded = decodeSession(encodeSession(value, context), context);
        expect(decoded).toStrictEqual(value);
      }),
      { numRuns: 500 },
    );
  });

  it('writes exactly the JSON.stringify text when nothing needs a tag', () => {
    const plainLeaf = fc.oneof(fc.string(), fc.integer(), fc.boolean(), fc.constant(null));
    const plainKey = fc.string().filter((text) => !text.startsWith('$'));
    fc.assert(
      fc.property(
        fc.dictionary(plainKey, fc.oneof(plainLeaf, fc.array(plainLeaf)), {
          noNullPrototype: true,
        }),
        (value) => {
          expect(encodeSession(value, context)).toBe(JSON.stringify(value));
        },
      ),
      { numRuns: 300 },
    );
  });
});
