import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { LoopShare } from '../src/worker/loop-share.js';

/** Keeps the event loop busy, like a receiver saturated by requests: short CPU bursts back to back. */
function saturate(): () => void {
  let on = true;
  const spin = () => {
    if (!on) return;
    const until = performance.now() + 2;
    while (performance.now() < until);
    setImmediate(spin);
  };
  setImmediate(spin);
  return () => (on = false);
}

/** A stand-in batch: holds the event loop for `ms`, as a SQLite batch does. */
function holdLoop(ms: number): void {
  const until = performance.now() + ms;
  while (performance.now() < until);
}

describe('LoopShare: the SQLite worker stands back while the event loop is needed', () => {
  it('stays out of the way on an idle loop: no pause after a batch', async () => {
    const share = new LoopShare();
    const pauses: number[] = [];
    for (let i = 0; i < 10; i++) {
      holdLoop(5);
      await share.afterBatch(5, (ms) => {
        pauses.push(ms);
        return sleep(ms);
      });
    }
    assert.equal(share.factor, 0);
    // A yield that the machine's scheduler happens to delay may start one short probe (5, 2.5,
    // 1.25 ms for 5 ms batches) that an idle loop ends at once; never more than that.
    assert.ok(pauses.reduce((a, b) => a + b, 0) <= 10, `pauses: ${pauses.join(', ')}`);
  });

  it('pauses longer and longer while other work keeps the loop busy, then lets go once it is idle', async () => {
    const share = new LoopShare();
    const pauses: number[] = [];
    const pause = (ms: number) => {
      pauses.push(ms);
      return sleep(ms);
    };
    const stop = saturate();
    try {
      for (let i = 0; i < 10; i++) {
        holdLoop(5);
        await share.afterBatch(5, pause);
      }
    } finally {
      stop();
    }
    assert.equal(share.factor, 64, `factor ${share.factor} after pauses ${pauses.join(', ')}`);
    assert.ok(pauses.length >= 3 && pauses.at(-1)! === 100, `pauses grew to the 100 ms cap: ${pauses.join(', ')}`);

    for (let i = 0; i < 12 && share.factor > 0; i++) {
      holdLoop(5);
      await share.afterBatch(5, pause);
    }
    assert.equal(share.factor, 0, 'an idle loop brings the pauses back to none');
  });
});
