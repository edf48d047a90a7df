import { readFileSync } from 'node:fs';
import { Command, InvalidArgumentError, Option } from 'commander';
import { diagnoseDelivery } from '../capture/diagnose.js';
import { parseHeaderText } from '../capture/read-headers.js';
import { positiveInt, secretOption, since } from '../options.js';

/** `--at`: Unix seconds, an ISO time, or a duration ago (2h). */
function pointInTime(value: string): number {
  return /^\d{9,11}$/.test(value) ? Number(value) * 1000 : since(value);
}

function readInput(path: string, what: string): Buffer {
  try {
    return path === '-' ? readFileSync(0) : readFileSync(path);
  } catch (error) {
    throw new InvalidArgumentError(`cannot read the ${what} file ${path}: ${(error as Error).message}`);
  }
}

const HELP = `
Examples:
  $ clerk-sync verify --secret whsec_... --headers headers.txt --body body.json
  $ clerk-sync verify --headers headers.json --body body.json --at 2026-01-31T12:00:00Z

--headers takes a JSON object ({"svix-id": "msg_...", ...}) or "Name: value" lines as copied
from logs, browser devtools or curl -v. --body is the raw body, byte for byte ("-" for stdin).

Exit codes:
  0  verifies: the signature matches and the timestamp is within the tolerance
  1  does not verify: a header is missing or malformed, or no signature matches
     (the output says whether the body was changed, and how, or the secret is wrong)
  2  usage error: unreadable file, or the secret is not a whsec_ signing secret
  3  the signature matches, but the timestamp is outside the tolerance (now, or --at)`;

export function verifyCommand(): Command {
  return new Command('verify')
    .description('verify a captured delivery offline, and explain exactly why it fails')
    .addOption(secretOption('signing secret (whsec_...); several separated by spaces or commas'))
    .requiredOption('--headers <file>', 'the request headers: a JSON object or "Name: value" lines')
    .requiredOption('--body <file>', 'the raw request body, byte for byte ("-" reads stdin)')
    .addOption(new Option('--at <time>', 'judge the timestamp as of this time (ISO, Unix seconds, or 2h for 2 hours ago) instead of now').argParser(pointInTime))
    .addOption(new Option('--tolerance <seconds>', 'accepted clock difference').default(300).argParser(positiveInt('--tolerance')))
    .option('--json', 'print the diagnosis as JSON')
    .addHelpText('after', HELP)
    .action((opts) => {
      if (!opts.secret) throw new InvalidArgumentError('no secret: pass --secret whsec_... or set CLERK_WEBHOOK_SIGNING_SECRET (Clerk Dashboard → Webhooks → your endpoint → Signing Secret)');
      let headers: Record<string, string>;
      try {
        headers = parseHeaderText(readInput(opts.headers, 'headers').toString('utf8'));
      } catch (error) {
        if (error instanceof InvalidArgumentError) throw error;
        throw new InvalidArgumentError(`${opts.headers}: ${(error as Error).message}`);
      }
      const body = readInput(opts.body, 'body');
      const d = diagnoseDelivery({ secret: opts.secret, headers, body, now: opts.at, toleranceSeconds: opts.tolerance });
      if (opts.json) {
        console.log(JSON.stringify({ ok: d.exitCode === 0, exit_code: d.exitCode, verdict: d.verdict, findings: d.findings }, null, 2));
      } else {
        for (const f of d.findings) console.log(`${f.ok ? 'ok  ' : 'FAIL'}  ${f.message}`);
        console.log(`\n${d.verdict}`);
      }
      process.exitCode = d.exitCode;
    });
}
