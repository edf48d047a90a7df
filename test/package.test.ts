import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as root from '../src/index.js';
import pkg from '../package.json' with { type: 'json' };

describe('package surface', () => {
  it('the root entry exports the core API, the verifier and the catalog', () => {
    for (const name of ['createClerkSync', 'Worker', 'PermanentError', 'openDatabase', 'migrateToLatest', 'syncTables', 'verifyWebhook', 'signWebhook', 'createVerifier', 'WebhookVerificationError', 'parseEvent', 'eventFixture', 'EVENT_TYPES']) {
      assert.ok(name in root, `${name} is exported`);
    }
    assert.equal(root.EVENT_TYPES.length, 49);
  });

  it('the build makes the CLI bin executable, so `npx clerk-sync` runs after npm ci', () => {
    assert.match(pkg.scripts.build, /chmod \+x dist\/cli\/main\.js/);
    assert.equal(pkg.bin['clerk-sync'], 'dist/cli/main.js');
  });

  it('package.json points every export and the bin at built files of existing sources', async () => {
    const { existsSync } = await import('node:fs');
    const targets = [pkg.bin['clerk-sync'], ...Object.values(pkg.exports).map((e) => (typeof e === 'string' ? e : e.default))];
    for (const t of targets) {
      if (t.endsWith('package.json')) continue;
      const source = t.replace(/^\.?\/?dist\//, 'src/').replace(/\.js$/, '.ts');
      assert.ok(existsSync(new URL(`../${source}`, import.meta.url)), `${t} is built from ${source}`);
    }
  });
});
