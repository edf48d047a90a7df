import { Command, InvalidArgumentError, Option } from 'commander';
import { formatReport, runDoctor } from '../doctor/index.js';
import { SVIX_TIMEOUT_MS } from '../delivery/svix-schedule.js';
import { duration, secretOption } from '../options.js';

const HELP = `
Checks, each with a verdict and the fix:
  signing secret format · reachable (DNS, connection, TLS) · no redirect (Svix treats 3xx as
  failure: the www vs bare-domain trap) · accepts POST (405) · route exists and is public (404/401
  on a signed request: missing, or behind auth middleware) · accepts a correctly signed event
  (400/401: re-serialized body or wrong secret) · verifies the raw body · rejects unsigned,
  tampered and stale requests (security) · answers in time (Svix waits 15 s) · server clock (Date)

Doctor sends a few test events of type "clerk-sync.doctor" (not a Clerk event type; the payload
says it is a test). An endpoint that accepts them may store them: the report lists their ids.

Examples:
  $ clerk-sync doctor --url https://example.com/api/webhooks --secret whsec_...
  $ clerk-sync doctor --url http://localhost:3000/api/webhooks --json

Exit codes: 0 every check passed (warnings allowed); 1 a check failed or could not run
(e.g. no --secret); 2 usage error.`;

export function doctorCommand(): Command {
  return new Command('doctor')
    .description('check a running webhook endpoint against the pitfalls of Clerk webhooks, with a verdict and a fix for each')
    .requiredOption('--url <endpoint>', 'the endpoint Clerk delivers to, e.g. https://example.com/api/webhooks')
    .addOption(secretOption('the endpoint\'s signing secret (whsec_...); without it, signed checks are skipped'))
    .addOption(new Option('--timeout <duration>', 'slower answers fail, as with Svix').default(SVIX_TIMEOUT_MS, '15s').argParser(duration('--timeout')))
    .option('--json', 'print the report as JSON')
    .addHelpText('after', HELP)
    .action(async (opts) => {
      let url: URL;
      try {
        url = new URL(opts.url);
      } catch {
        throw new InvalidArgumentError(`--url must be an absolute URL such as https://example.com/api/webhooks, got "${opts.url}"`);
      }
      if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new InvalidArgumentError(`--url must be http:// or https://, got ${url.protocol}`);
      const report = await runDoctor({ url: url.href, secret: opts.secret, timeoutMs: opts.timeout });
      console.log(opts.json ? JSON.stringify(report, null, 2) : formatReport(report));
      process.exitCode = report.ok ? 0 : 1;
    });
}
