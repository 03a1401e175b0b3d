import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { LineSplitter, readJsonLines } from './jsonl-rows.ts';

test('property: lines ended by \\n, \\r\\n or \\r, cut into pieces anywhere, come back as they were', () => {
  const line = fc.string({ unit: fc.constantFrom('a', 'é', '{', '"', ' ', '😀'), maxLength: 12 });
  fc.assert(
    fc.property(fc.array(fc.tuple(line, fc.constantFrom('\n', '\r\n', '\r')), { minLength: 1, maxLength: 12 }), fc.boolean(), fc.array(fc.nat(200), { maxLength: 8 }), (lines, endsLast, cuts) => {
      // A lone '\r' before an empty line ended by '\n' would read as one '\r\n': not a case of its own.
      fc.pre(lines.every(([, end], i) => !(end === '\r' && lines[i + 1]?.[0] === '' && (lines[i + 1][1] === '\n' || (i + 1 === lines.length - 1 && !endsLast)))));
      const text = lines.map(([l, end], i) => (i < lines.length - 1 || endsLast ? l + end : l)).join('');
      const splitter = new LineSplitter();
      const out: string[] = [];
      let from = 0;
      for (const cut of [...cuts.map((c) => Math.min(c, text.length)), text.length].sort((a, b) => a - b)) {
        out.push(...splitter.push(text.slice(from, cut)));
        from = cut;
      }
      out.push(...splitter.end());
      const expected = lines.map(([l]) => l);
      // An empty last line without an ending is no line at all.
      if (!endsLast && expected[expected.length - 1] === '') expected.pop();
      assert.deepEqual(out, expected);
    }),
    { numRuns: 1000 },
  );
});

test('JSON lines are read with their line numbers; blank lines are skipped, bad ones reported in place', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'meridian-jsonl-'));
  try {
    const path = join(dir, 'events.jsonl');
    writeFileSync(path, '\ufeff{"a":1}\r\n\r\n{"a":2}\nnot json\n{"a":3}');
    const rows = [];
    for await (const chunk of readJsonLines(path, { skipRows: 1, chunkRows: 2 }).chunks) rows.push(...chunk);
    assert.deepEqual(rows.slice(0, 1), [{ row: 3, values: { a: 2 } }]);
    assert.equal(rows[1].row, 4);
    assert.match(rows[1].unreadable ?? '', /^is not valid JSON/);
    assert.deepEqual(rows[2], { row: 5, values: { a: 3 } });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
