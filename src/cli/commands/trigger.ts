import { randomInt } from 'node:crypto';
import { Command, InvalidArgumentError, Option } from 'commander';
import { EVENT_TYPES, isKnownEventType } from '../../events/catalog.js';
import { freshId } from '../../events/fixtures.js';
import { BUILTIN_SCENARIOS, buildScenario, loadScenarioFile, ScenarioError, type FieldOverride, type Scenario } from '../scenarios/index.js';
import { seededRandom, shuffle } from '../delivery/random.js';
import { deliverOnSchedule, type AttemptReport, type Delivery } from '../delivery/schedule.js';
import { formatDuration, SVIX_MAX_ATTEMPTS, SVIX_TIMEOUT_MS } from '../delivery/svix-schedule.js';
import { duration, numberIn, positiveInt, secretOption } from '../options.js';
import { describeAnswer } from '../delivery/send.js';
import { printable } from '../printable.js';

/** `--set [type:]path=value`: the type prefix limits it to events of that type (useful in scenarios). */
function override(value: string, previous: FieldOverride[] = []): FieldOverride[] {
  const eq = value.indexOf('=');
  if (eq <= 0) throw new InvalidArgumentError(`expected path=value or type:path=value (e.g. data.first_name=Ada, user.updated:data.last_name=Byron), got "${value}"`);
  const target = value.slice(0, eq);
  const colon = target.indexOf(':');
  const type = colon > 0 ? target.slice(0, colon) : undefined;
  if (type !== undefined && !isKnownEventType(type)) throw new InvalidArgumentError(`--set ${value}: "${type}" is not an event type`);
  return [...previous, { type, path: colon > 0 ? target.slice(colon + 1) : target, value: value.slice(eq + 1) }];
}

function scenarioList(file: string | undefined): Scenario[] {
  const own = file ? loadScenarioFile(file) : [];
  const clash = own.find((s) => BUILTIN_SCENARIOS.some((b) => b.name === s.name));
  if (clash) throw new ScenarioError(`${file}: scenario "${clash.name}" has the name of a built-in scenario; rename it`);
  return [...BUILTIN_SCENARIOS, ...own];
}

function printList(scenarios: readonly Scenario[]): void {
  console.log('Scenarios (clerk-sync trigger <scenario> --url ...):');
  const width = Math.max(...scenarios.map((s) => s.name.length));
  for (const s of scenarios) {
    console.log(`  ${s.name.padEnd(width)}  ${s.description}`);
    console.log(`  ${''.padEnd(width)}  ${s.steps.map((x) => x.type).join(' → ')}`);
  }
  console.log(`\nEvent types (clerk-sync trigger <type> --url ...):\n  ${EVENT_TYPES.join('\n  ')}`);
}

const EXAMPLES = `
Examples:
  $ clerk-sync trigger user.created --url http://localhost:8080/api/webhooks --set data.first_name=Ada
  $ clerk-sync trigger org-lifecycle --url http://localhost:3000/api/webhooks --shuffle --duplicate 0.3
  $ clerk-sync trigger signup --url http://localhost:3000/api/webhooks --count 20 --delay 100ms
  $ clerk-sync trigger user-lifecycle --url http://localhost:3000/api/webhooks --retry --retry-speed 1000
  $ clerk-sync trigger my-flow --scenarios ./scenarios.json --url http://localhost:3000/api/webhooks
  $ clerk-sync trigger --list

A scenario file (--scenarios) is JSON:
  {"scenarios": [{"name": "vip-signup", "description": "signs up, becomes VIP",
    "steps": [{"type": "user.created", "set": {"data.first_name": "Ada"}},
              {"type": "user.updated", "set": {"data.public_metadata": {"vip": true}}}]}]}
Steps share ids (the example payloads' ids refer to each other); "{{orgmem:second}}" as a value
makes a fresh id, the same wherever that placeholder recurs. Each step's timestamp and
data.updated_at are 1 s after the previous step's, so the intended order survives --shuffle.

Output: one line per attempt, "<svix-id> <type> <status>" with the endpoint's error code and
message when it refused, plus what follows it (retry, duplicate).
Exit code: 0 when every delivery was answered 2xx in the end, 1 otherwise, 2 on usage errors.`;

export function triggerCommand(): Command {
  return new Command('trigger')
    .description('sign and send realistic Clerk events (one type, or a scenario) to an endpoint, the way Svix delivers them: no tunnel needed')
    .argument('[event-or-scenario]', 'an event type (e.g. user.created) or a scenario name (e.g. signup); --list shows both')
    .option('--url <url>', 'endpoint to POST to, e.g. http://localhost:8080/api/webhooks')
    .addOption(secretOption('secret to sign with (whsec_...); the first one is used'))
    .option('--set <[type:]path=value>', 'override a field, e.g. --set data.first_name=Ada or --set user.updated:data.last_name=Byron (repeatable; values parsed as JSON when possible)', override)
    .addOption(new Option('--count <n>', 'how many times to send the event or run the scenario, each with fresh ids').default(1).argParser(positiveInt('--count')))
    .option('--list', 'list the scenarios (built-in and --scenarios) and event types')
    .option('--scenarios <file>', 'JSON file with your own scenarios (format below)')
    .option('--shuffle', 'deliver in random order (the events keep their intended timestamps)')
    .addOption(new Option('--duplicate <ratio>', 'send this share of the messages twice (same svix-id), as Svix sometimes does: 0 to 1').argParser(numberIn('--duplicate', 0, 1)))
    .addOption(new Option('--seed <n>', 'random seed for --shuffle and --duplicate, to repeat a run').argParser(positiveInt('--seed')))
    .addOption(new Option('--delay <duration>', 'wait between deliveries: 250 (ms), 500ms, 2s').default(0, 'none').argParser(duration('--delay')))
    .option('--retry', `retry a delivery not answered 2xx on Svix's schedule: 5s, 5m, 30m, 2h, 5h, 10h, 10h (${SVIX_MAX_ATTEMPTS} attempts)`)
    .addOption(new Option('--retry-speed <factor>', 'divide the retry delays by this factor (1000: 5s → 5ms, 10h → 36s); implies --retry').argParser(numberIn('--retry-speed', 1, 1e9)))
    .addOption(new Option('--timeout <duration>', 'an attempt not answered within this fails, as with Svix').default(SVIX_TIMEOUT_MS, '15s').argParser(duration('--timeout')))
    .option('--json', 'print one JSON line per attempt')
    .addHelpText('after', EXAMPLES)
    .action(async (name: string | undefined, opts) => {
      let scenarios: Scenario[];
      try {
        scenarios = scenarioList(opts.scenarios);
      } catch (error) {
        if (error instanceof ScenarioError) throw new InvalidArgumentError(error.message);
        throw error;
      }
      if (opts.list) return printList(scenarios);
      if (!name) throw new InvalidArgumentError('name an event type or a scenario (`clerk-sync trigger --list` shows them), e.g. clerk-sync trigger signup --url http://localhost:8080/api/webhooks');
      const scenario = scenarios.find((s) => s.name === name);
      if (!scenario && !isKnownEventType(name)) {
        const close = EVENT_TYPES.filter((t) => t.startsWith(name.split('.')[0]!));
        throw new InvalidArgumentError(`unknown event type "${name}"${close.length ? `; did you mean ${close.join(', ')}?` : '; run `clerk-sync trigger --list` for the event types and scenarios'}`);
      }
      if (!opts.url) throw new InvalidArgumentError('--url is required: the endpoint to deliver to, e.g. --url http://localhost:8080/api/webhooks');
      try {
        new URL(opts.url);
      } catch {
        throw new InvalidArgumentError(`--url must be an absolute http(s) URL, got "${opts.url}"`);
      }
      if (!opts.secret) throw new InvalidArgumentError('no secret to sign with: pass --secret whsec_... or set CLERK_WEBHOOK_SIGNING_SECRET to the secret your endpoint verifies with');
      const secret = String(opts.secret).split(/[\s,]+/).filter(Boolean)[0]!;

      const seed: number = opts.seed ?? randomInt(1, 2 ** 31);
      const random = seededRandom(seed);
      const plan: Scenario = scenario ?? { name, description: '', steps: [{ type: name as Scenario['steps'][number]['type'] }] };
      let deliveries: Delivery[] = [];
      for (let run = 0; run < opts.count; run++) {
        for (const e of buildScenario(plan, { overrides: opts.set })) {
          const delivery: Delivery = { id: `msg_${freshId('x').slice(2)}`, type: e.type, body: JSON.stringify(e.event) };
          deliveries.push(delivery);
          if (opts.duplicate && random() < opts.duplicate) deliveries.push({ ...delivery, duplicate: true });
        }
      }
      if (opts.shuffle) deliveries = shuffle(deliveries, random);
      if ((opts.shuffle || opts.duplicate) && !opts.json) console.error(`seed ${seed} (pass --seed ${seed} to repeat this order)`);

      const retry = opts.retry === true || opts.retrySpeed !== undefined;
      // The copy of a message that goes out first is the original, whatever --shuffle did to the
      // order; every later copy with its svix-id is the duplicate.
      const firstSent = new Map<string, Delivery>();
      const onAttempt = (r: AttemptReport) => {
        if (!firstSent.has(r.delivery.id)) firstSent.set(r.delivery.id, r.delivery);
        const duplicate = firstSent.get(r.delivery.id) !== r.delivery;
        if (opts.json) {
          console.log(JSON.stringify({
            svix_id: r.delivery.id, type: r.delivery.type, duplicate, attempt: r.attempt, status: r.status, error: r.error,
            ok: r.ok, duration_ms: Math.round(r.durationMs), svix_timestamp: r.timestamp, retry_in_ms: r.retry?.waitMs ?? null,
            answered_duplicate: r.duplicate, error_code: r.rejection?.code ?? null, error_message: r.rejection?.message ?? null,
          }));
          return;
        }
        const notes: string[] = [];
        if (duplicate) notes.push('duplicate');
        if (r.attempt > 1 || r.retry) notes.push(`attempt ${r.attempt}/${retry ? SVIX_MAX_ATTEMPTS : 1}`);
        if (r.retry) notes.push(`retry in ${formatDuration(r.retry.svixDelayMs)}${r.retry.waitMs !== r.retry.svixDelayMs ? ` (${formatDuration(r.retry.waitMs)} compressed)` : ''}`);
        else if (!r.ok && retry) notes.push('gave up');
        console.log(printable(`${r.delivery.id} ${r.delivery.type} ${describeAnswer(r)}${notes.length ? `  ${notes.join(', ')}` : ''}`));
      };
      const result = await deliverOnSchedule(deliveries, { url: opts.url, secret, timeoutMs: opts.timeout, delayMs: opts.delay, retry, retrySpeed: opts.retrySpeed, headers: { 'user-agent': 'clerk-sync-trigger' }, onAttempt });

      if (result.failed.length > 0) {
        console.error(`${result.failed.length} of ${deliveries.length} deliveries were not answered 2xx${retry ? ' after every retry' : ''}`);
        process.exitCode = 1;
      } else if (deliveries.length > 1 && !opts.json) {
        const dups = deliveries.filter((d) => d.duplicate).length;
        console.error(`${deliveries.length} deliveries${dups ? ` (${dups} duplicates)` : ''}, ${result.attempts} attempts: all answered 2xx`);
      }
    });
}
