import { Command, InvalidArgumentError, Option } from 'commander';
import { EVENT_TYPES, isKnownEventType } from '../../events/catalog.js';
import { eventFixture, setPath } from '../../events/fixtures.js';
import { signWebhook } from '../../verify/index.js';
import { positiveInt, secretOption } from '../options.js';

function assignment(value: string, previous: Array<[string, string]> = []): Array<[string, string]> {
  const eq = value.indexOf('=');
  if (eq <= 0) throw new InvalidArgumentError(`expected path=value (e.g. data.first_name=Ada), got "${value}"`);
  return [...previous, [value.slice(0, eq), value.slice(eq + 1)]];
}

export function triggerCommand(): Command {
  return new Command('trigger')
    .description('sign and send a realistic Clerk event to an endpoint: no tunnel needed')
    .argument('<event-type>', `one of the ${EVENT_TYPES.length} catalog types, e.g. user.created`)
    .requiredOption('--url <url>', 'endpoint to POST to, e.g. http://localhost:8080/api/webhooks')
    .addOption(secretOption('secret to sign with (whsec_...); the first one is used'))
    .option('--set <path=value>', 'override a field, e.g. --set data.first_name=Ada (repeatable; values parsed as JSON when possible)', assignment)
    .addOption(new Option('--count <n>', 'how many events, each with fresh ids').default(1).argParser(positiveInt('--count')))
    .addHelpText('after', `\nEvent types:\n  ${EVENT_TYPES.join('\n  ')}`)
    .action(async (type: string, opts) => {
      if (!isKnownEventType(type)) {
        const close = EVENT_TYPES.filter((t) => t.startsWith(type.split('.')[0]!));
        throw new InvalidArgumentError(`unknown event type "${type}"${close.length ? `; did you mean ${close.join(', ')}?` : '; run `clerk-sync trigger --help` for the list'}`);
      }
      if (!opts.secret) throw new InvalidArgumentError('no secret to sign with: pass --secret whsec_... or set CLERK_WEBHOOK_SIGNING_SECRET to the secret your endpoint verifies with');
      const secret = String(opts.secret).split(/[\s,]+/).filter(Boolean)[0]!;
      let failures = 0;
      for (let i = 0; i < opts.count; i++) {
        const event = eventFixture(type);
        for (const [path, value] of (opts.set ?? []) as Array<[string, string]>) setPath(event, path, value);
        const body = JSON.stringify(event);
        const signed = signWebhook(body, secret);
        let status: number | string;
        try {
          const res = await fetch(opts.url, { method: 'POST', headers: { ...signed.headers, 'content-type': 'application/json' }, body, redirect: 'manual' });
          status = res.status;
          await res.arrayBuffer();
        } catch (error) {
          status = `unreachable (${(error as Error & { cause?: Error }).cause?.message ?? (error as Error).message})`;
        }
        const ok = typeof status === 'number' && status >= 200 && status < 300;
        if (!ok) failures++;
        console.log(`${signed.id} ${type} ${status}`);
      }
      if (failures > 0) {
        console.error(`${failures} of ${opts.count} deliveries were not answered 2xx`);
        process.exitCode = 1;
      }
    });
}
