import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { buildScenario, BUILTIN_SCENARIOS } from '../src/cli/scenarios/index.js';
import { SVIX_RETRY_DELAYS_MS } from '../src/cli/delivery/svix-schedule.js';
import { verifyWebhook } from '../src/verify/index.js';
import { runCli } from './support/cli.js';
import { testDialects } from './support/db.js';
import { newSecret, onFileEnd, tempDir, waitFor } from './support/env.js';
import { startService, type TestService } from './support/service.js';

interface Received {
  at: number;
  headers: IncomingMessage['headers'];
  body: string;
  verified: boolean;
}

/** A receiving endpoint that verifies every attempt and answers what `answer` says. */
async function recordingEndpoint(secret: string, answer: (r: Received, all: Received[]) => number | 'hang'): Promise<{ url: string; received: Received[] }> {
  const received: Received[] = [];
  const server: Server = createServer((req, res) => {
    let body = '';
    req.on('data', (d) => (body += d));
    req.on('end', () => {
      let verified = true;
      try {
        verifyWebhook(body, req.headers as Record<string, string>, secret);
      } catch {
        verified = false;
      }
      const r = { at: Date.now(), headers: req.headers, body, verified };
      received.push(r);
      const status = answer(r, received);
      if (status === 'hang') return;
      res.writeHead(status, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  onFileEnd(() => {
    server.closeAllConnections();
    server.close();
  });
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/webhooks`, received };
}

describe('scenarios', () => {
  it('link their ids and give every step a strictly later time', () => {
    const events = buildScenario(BUILTIN_SCENARIOS.find((s) => s.name === 'org-lifecycle')!, { now: 1_800_000_000_000 });
    const org = events[0]!.event.data.id;
    assert.match(org, /^org_/);
    assert.notEqual(org, 'org_2g7np7Hrk0SN6kj5EDMLDaKNL0S', 'fresh ids, not the example ones');
    const membership = events.find((e) => e.type === 'organizationMembership.created')!.event.data;
    assert.equal(membership.organization.id, org);
    const accepted = events.find((e) => e.type === 'organizationInvitation.accepted')!.event.data;
    assert.equal(accepted.organization_id, org);
    assert.equal(accepted.user_id, membership.public_user_data.user_id, 'the invited user is the one who joins');
    assert.equal(events.at(-1)!.event.data.id, org);
    const times = events.map((e) => e.event.timestamp as number);
    for (let i = 1; i < times.length; i++) assert.ok(times[i]! > times[i - 1]!, 'envelope timestamps increase');
    assert.equal(times.at(-1), 1_800_000_000_000);
    const updates = events.filter((e) => typeof e.event.data.updated_at === 'number').map((e) => e.event.data.updated_at as number);
    for (let i = 1; i < updates.length; i++) assert.ok(updates[i]! > updates[i - 1]!, 'updated_at increases');
    const memberships = events.filter((e) => e.type.startsWith('organizationMembership.')).map((e) => e.event.data);
    assert.ok(memberships.every((m) => m.created_at === memberships[0].created_at), 'one entity keeps its created_at');
  });

  it('org-rejoin gives the second membership its own id, for the same user and organization', () => {
    const events = buildScenario(BUILTIN_SCENARIOS.find((s) => s.name === 'org-rejoin')!);
    const [first, , second] = events.filter((e) => e.type.startsWith('organizationMembership.')).map((e) => e.event.data);
    assert.notEqual(second.id, first.id);
    assert.match(second.id, /^orgmem_/);
    assert.equal(second.public_user_data.user_id, first.public_user_data.user_id);
    assert.ok(second.created_at > first.created_at);
  });

  it('--list shows built-in and file scenarios and the event types', async () => {
    const file = join(tempDir(), 'mine.json');
    writeFileSync(file, JSON.stringify({ scenarios: [{ name: 'vip', description: 'becomes VIP', steps: [{ type: 'user.created' }, { type: 'user.updated', set: { 'data.public_metadata': { vip: true } } }] }] }));
    const r = await runCli(['trigger', '--list', '--scenarios', file]);
    assert.equal(r.code, 0, r.stderr);
    for (const name of ['signup', 'org-lifecycle', 'user-lifecycle', 'vip']) assert.match(r.stdout, new RegExp(`^  ${name} `, 'm'));
    assert.match(r.stdout, /user\.created → user\.updated/);
    assert.match(r.stdout, /^  waitlistEntry\.updated$/m);
  });

  it('a scenario file that is wrong gets an error naming the file, the scenario and the step (exit 2)', async () => {
    const dir = tempDir();
    const cases: Array<[unknown, RegExp]> = [
      ['{not json', /is not valid JSON/],
      [{ steps: [] }, /no "scenarios" array at the top level; expected \{"scenarios"/],
      [{ scenarios: [{ name: 'user.signup', steps: [{ type: 'user.created' }] }] }, /"name" must be lower-case letters.*no dots/],
      [{ scenarios: [{ name: 'a', steps: [] }] }, /scenario "a": "steps" must be a non-empty array/],
      [{ scenarios: [{ name: 'a', steps: [{ type: 'user.creatd' }] }] }, /scenario "a", steps\[0\]: unknown event type "user.creatd"; did you mean user.created/],
      [{ scenarios: [{ name: 'a', steps: [{ type: 'user.created', set: { 'data..x': 1 } }] }] }, /steps\[0\]: "set" path "data..x" is not a dot path/],
      [{ scenarios: [{ name: 'a', steps: [{ type: 'user.created', delay: 5 }] }] }, /steps\[0\]: unknown field "delay"/],
      [{ scenarios: [{ name: 'signup', steps: [{ type: 'user.created' }] }] }, /has the name of a built-in scenario/],
      [{ scenarios: [{ name: 'a', steps: [{ type: 'user.created' }, { type: 'user.updated', set: { 'data.id': '{{steps.1.data.id}}' } }] }] }, /steps\[1\]: "\{\{steps\.1\.\.\.\}\}" refers to a step that is not before this one/],
    ];
    for (const [i, [content, expected]] of cases.entries()) {
      const file = join(dir, `bad${i}.json`);
      writeFileSync(file, typeof content === 'string' ? content : JSON.stringify(content));
      const r = await runCli(['trigger', 'signup', '--url', 'http://127.0.0.1:9/x', '--secret', newSecret(), '--scenarios', file]);
      assert.equal(r.code, 2, `${file}: ${r.stderr}`);
      assert.match(r.stderr, expected);
      assert.ok(r.stderr.includes(file), 'names the file');
    }
  });

  it('a user scenario with placeholders is delivered in order, ids consistent', async () => {
    const secret = newSecret();
    const endpoint = await recordingEndpoint(secret, () => 204);
    const file = join(tempDir(), 'two-users.json');
    writeFileSync(file, JSON.stringify({
      scenarios: [{
        name: 'two-members',
        description: 'two users join one organization',
        steps: [
          { type: 'organization.created' },
          { type: 'organizationMembership.created' },
          { type: 'organizationMembership.created', set: { 'data.id': '{{orgmem:b}}', 'data.public_user_data.user_id': '{{user:b}}', 'data.role': 'org:admin' } },
          { type: 'user.updated', set: { 'data.id': '{{user:b}}', 'data.first_name': 'Bea' } },
          { type: 'organization.updated', set: { 'data.created_by': '{{steps.2.data.public_user_data.user_id}}' } },
        ],
      }],
    }));
    const r = await runCli(['trigger', 'two-members', '--scenarios', file, '--url', endpoint.url, '--secret', secret]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(endpoint.received.length, 5);
    assert.ok(endpoint.received.every((x) => x.verified));
    const [org, m1, m2, userB, orgUpdated] = endpoint.received.map((x) => JSON.parse(x.body).data);
    assert.equal(orgUpdated.id, org.id);
    assert.equal(orgUpdated.created_by, userB.id, '{{steps.N.path}} takes the value of an earlier step');
    assert.equal(m1.organization.id, org.id);
    assert.equal(m2.organization.id, org.id);
    assert.notEqual(m2.id, m1.id);
    assert.notEqual(m2.public_user_data.user_id, m1.public_user_data.user_id);
    assert.equal(userB.id, m2.public_user_data.user_id, 'the same placeholder is the same id');
    assert.equal(userB.first_name, 'Bea');
    assert.equal(m2.role, 'org:admin');
  });
});

describe('delivery rehearsal', () => {
  it('retries on Svix\'s schedule, compressed: 8 attempts, same svix-id, gaps in the schedule\'s proportions', async () => {
    const secret = newSecret();
    const endpoint = await recordingEndpoint(secret, () => 503);
    const speed = 100_000;
    const r = await runCli(['trigger', 'user.created', '--url', endpoint.url, '--secret', secret, '--retry-speed', String(speed), '--json']);
    assert.equal(r.code, 1, 'never answered 2xx');
    assert.match(r.stderr, /1 of 1 deliveries were not answered 2xx after every retry/);
    assert.equal(endpoint.received.length, 8);
    const ids = new Set(endpoint.received.map((x) => x.headers['svix-id']));
    assert.equal(ids.size, 1, 'one svix-id on every attempt');
    assert.ok(endpoint.received.every((x) => x.verified), 'every attempt is signed correctly');
    assert.ok(new Set(endpoint.received.map((x) => x.body)).size === 1, 'same body');
    for (let i = 1; i < 8; i++) {
      const gap = endpoint.received[i]!.at - endpoint.received[i - 1]!.at;
      assert.ok(gap >= Math.floor(SVIX_RETRY_DELAYS_MS[i - 1]! / speed), `gap ${i}: ${gap} ms`);
    }
    const lines = r.stdout.trim().split('\n').map((l) => JSON.parse(l));
    assert.deepEqual(lines.map((l) => l.attempt), [1, 2, 3, 4, 5, 6, 7, 8]);
    assert.deepEqual(lines.slice(0, 7).map((l) => l.retry_in_ms), SVIX_RETRY_DELAYS_MS.map((d) => d / speed));
    assert.equal(lines[7].retry_in_ms, null);
  });

  it('each retry is re-signed with a fresh timestamp; a retried message arrives after later ones', async () => {
    const secret = newSecret();
    // The first attempt of the first message fails: Svix goes on with the others and retries it 5 s later (here 1.25 s).
    const endpoint = await recordingEndpoint(secret, (_r, all) => (all.length === 1 ? 500 : 200));
    const r = await runCli(['trigger', 'user-lifecycle', '--url', endpoint.url, '--secret', secret, '--retry-speed', '4']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(endpoint.received.length, 5);
    const first = endpoint.received[0]!;
    const retried = endpoint.received[4]!;
    assert.equal(retried.headers['svix-id'], first.headers['svix-id']);
    assert.equal(JSON.parse(retried.body).type, 'user.created');
    assert.ok(Number(retried.headers['svix-timestamp']) > Number(first.headers['svix-timestamp']), 'fresh svix-timestamp');
    assert.notEqual(retried.headers['svix-signature'], first.headers['svix-signature']);
    assert.ok(retried.verified);
    assert.match(r.stdout, /user\.created 500  attempt 1\/8, retry in 5s \(1\.25s compressed\)|user\.created 500  attempt 1\/8, retry in 5s \(1250ms compressed\)/);
    assert.match(r.stdout, /user\.created 200  attempt 2\/8$/m);
  });

  it('--delay spaces the deliveries; --duplicate 1 sends every message twice under one svix-id', async () => {
    const secret = newSecret();
    const endpoint = await recordingEndpoint(secret, () => 200);
    const r = await runCli(['trigger', 'signup', '--url', endpoint.url, '--secret', secret, '--delay', '200ms', '--duplicate', '1']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(endpoint.received.length, 6);
    for (let i = 1; i < 6; i++) assert.ok(endpoint.received[i]!.at - endpoint.received[i - 1]!.at >= 190, `gap ${i}`);
    const ids = endpoint.received.map((x) => x.headers['svix-id']);
    assert.equal(new Set(ids).size, 3);
    assert.equal(ids[0], ids[1], 'the duplicate follows its original');
    assert.match(r.stdout, /^msg_\S+ user\.created 200  duplicate$/m);
    assert.match(r.stderr, /6 deliveries \(3 duplicates\), 6 attempts: all answered 2xx/);
  });

  it('an attempt not answered within --timeout fails, like Svix after 15 s', async () => {
    const secret = newSecret();
    const endpoint = await recordingEndpoint(secret, () => 'hang');
    const started = Date.now();
    const r = await runCli(['trigger', 'user.created', '--url', endpoint.url, '--secret', secret, '--timeout', '300ms']);
    assert.equal(r.code, 1);
    assert.match(r.stdout, /user\.created unreachable \(no answer within 300 ms\)/);
    assert.ok(Date.now() - started < 10_000);
  });

  it('a redirect is a failure, as with Svix', async () => {
    const server = createServer((_req, res) => res.writeHead(308, { location: 'http://127.0.0.1:9/elsewhere' }).end());
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    onFileEnd(() => server.close());
    const r = await runCli(['trigger', 'user.created', '--url', `http://127.0.0.1:${(server.address() as AddressInfo).port}/`, '--secret', newSecret()]);
    assert.equal(r.code, 1);
    assert.match(r.stdout, / 308$/m);
  });

  it('usage errors exit 2', async () => {
    const noUrl = await runCli(['trigger', 'signup', '--secret', newSecret()]);
    assert.equal(noUrl.code, 2);
    assert.match(noUrl.stderr, /--url is required/);
    const badRatio = await runCli(['trigger', 'signup', '--url', 'http://127.0.0.1:9/', '--secret', newSecret(), '--duplicate', '2']);
    assert.equal(badRatio.code, 2);
    assert.match(badRatio.stderr, /--duplicate must be a number from 0 to 1/);
    const badDelay = await runCli(['trigger', 'signup', '--url', 'http://127.0.0.1:9/', '--secret', newSecret(), '--delay', 'soon']);
    assert.equal(badDelay.code, 2);
    assert.match(badDelay.stderr, /--delay must be a duration like 250 \(ms\), 500ms, 5s/);
  });
});

for (const dialect of testDialects()) describe(`rehearsing against clerk-sync [${dialect}]`, () => {
  let svc: TestService;
  before(async () => {
    svc = await startService({ dialect, worker: { pollIntervalMs: 20 } });
  });
  after(() => svc.close());

  it('org-lifecycle shuffled with duplicates ends in the state of the intended order', async () => {
    const runs = 3;
    const r = await runCli(['trigger', 'org-lifecycle', '--url', svc.url, '--secret', svc.secret, '--count', String(runs), '--shuffle', '--duplicate', '0.5', '--seed', '7', '--json']);
    assert.equal(r.code, 0, r.stderr);
    const attempts = r.stdout.trim().split('\n').map((l) => JSON.parse(l));
    const dups = attempts.filter((a) => a.duplicate);
    assert.ok(dups.length > 0, 'seed 7 duplicates some');
    assert.ok(attempts.every((a) => a.status === 200));
    // The tag marks the copy sent second, whichever --shuffle put first: exactly the ones the
    // server answered as duplicates.
    assert.deepEqual(attempts.map((a) => a.duplicate), attempts.map((a) => a.answered_duplicate));
    const db = svc.sync.database.db;
    await waitFor(async () => {
      const rows = await db.selectFrom('clerk_webhook_events').select('status').execute();
      return rows.length === 7 * runs && rows.every((x) => x.status === 'done');
    }, { what: 'every distinct event processed' });
    // Delivery order was shuffled, the order of the event timestamps was not.
    const delivered = attempts.filter((a) => !a.duplicate).map((a) => a.type);
    const intended = BUILTIN_SCENARIOS.find((s) => s.name === 'org-lifecycle')!.steps.map((s) => s.type);
    assert.notDeepEqual(delivered.slice(0, 7), intended);

    const orgs = await db.selectFrom('clerk_organizations').select(['id', 'deleted_at']).execute();
    assert.equal(orgs.length, runs);
    assert.ok(orgs.every((o) => o.deleted_at !== null), 'every organization ends deleted');
    const memberships = await db.selectFrom('clerk_organization_memberships').select(['role', 'deleted_at', 'organization_id']).execute();
    assert.equal(memberships.length, runs);
    assert.ok(memberships.every((m) => m.deleted_at !== null && m.role === 'org:admin'), 'promoted, then ended');
    const invitations = await db.selectFrom('clerk_organization_invitations').select(['deleted_at']).execute();
    assert.equal(invitations.length, runs);
    assert.ok(invitations.every((i) => i.deleted_at !== null), 'ended with their organization');
  });

  it('user-lifecycle shuffled leaves a tombstone, never a resurrected user', async () => {
    const r = await runCli(['trigger', 'user-lifecycle', '--url', svc.url, '--secret', svc.secret, '--count', '4', '--shuffle']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /^seed \d+ \(pass --seed \d+ to repeat this order\)/m);
    const db = svc.sync.database.db;
    await waitFor(async () => {
      const rows = await db.selectFrom('clerk_webhook_events').select('status').where('type', 'like', 'user.%').execute();
      return rows.length === 16 && rows.every((x) => x.status === 'done');
    }, { what: 'user events processed' });
    const users = await db.selectFrom('clerk_users').select(['deleted_at', 'first_name']).execute();
    assert.equal(users.length, 4);
    assert.ok(users.every((u) => u.deleted_at !== null && u.first_name === null), 'deleted and erased');
  });
});
