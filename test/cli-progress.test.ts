import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createProgress } from '../src/cli/progress.js';

function fakeStream(isTTY: boolean) {
  let out = '';
  const stream = { isTTY, write: (s: string) => ((out += s), true) } as unknown as NodeJS.WriteStream;
  return { stream, out: () => out };
}

describe('progress line', () => {
  it('on a terminal: redraws one line with a bar, counts, rate and ETA; notes do not break it', () => {
    const f = fakeStream(true);
    const p = createProgress({ label: 'users', total: 200, stream: f.stream });
    p.add(50);
    p.note('rate limited by Clerk (429): waiting 1s');
    p.add(50);
    p.done();
    const out = f.out();
    assert.match(out, /\r\x1b\[2Kusers {2}\[######------------------\] {2}25% {2}50\/200 {2}\d+\/s/);
    assert.match(out, /\r\x1b\[2Krate limited by Clerk \(429\): waiting 1s\n/);
    assert.match(out, /\[############------------\] {2}50% {2}100\/200 {2}\d+\/s {2}eta \d+s\n$/);
  });

  it('piped: plain lines, at most one a second, and the final one once', () => {
    const f = fakeStream(false);
    const p = createProgress({ label: 'replay', total: 3, stream: f.stream });
    p.add(1);
    p.add(1);
    p.add(1);
    p.done();
    const lines = f.out().trim().split('\n');
    assert.ok(!f.out().includes('\r') && !f.out().includes('\x1b'), 'no terminal control characters');
    assert.equal(lines[0]!.startsWith('replay  33%  1/3  '), true, lines[0]);
    assert.match(lines.at(-1)!, /^replay {2}100% {2}3\/3 {2}[\d.]+\/s$/);
    assert.equal(lines.length, 2, 'throttled to the first and the final line');
  });

  it('without a total: counts and rate only; a resumed count starts where it was', () => {
    const f = fakeStream(false);
    const p = createProgress({ label: 'memberships', initial: 40, stream: f.stream });
    p.add(10);
    p.done();
    assert.match(f.out(), /^memberships {2}50 {2}[\d.]+\/s$/m);
  });
});
