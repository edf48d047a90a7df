import type { CheckStatus, DoctorReport } from './run.js';

const MARK: Record<CheckStatus, string> = { pass: 'ok  ', warn: 'warn', fail: 'FAIL', skip: 'skip' };

const indent = (text: string, by: string) => text.split('\n').map((l) => (l ? by + l : l)).join('\n');

/** The human report: one line per check, the fix under each failure, what was left on the endpoint. */
export function formatReport(r: DoctorReport): string {
  const out: string[] = [`clerk-sync doctor ${r.url}`, ''];
  const width = Math.max(...r.checks.map((c) => c.title.length));
  for (const c of r.checks) {
    out.push(`${MARK[c.status]}  ${c.title.padEnd(width)}  ${c.verdict}`);
    if (c.fix && (c.status === 'fail' || c.status === 'warn' || c.id === 'secret')) out.push(indent(`fix: ${c.fix}`, '        '), '');
  }
  out.push('');
  const n = r.testEvents.svixIds.length;
  out.push(n === 0
    ? `No test event was accepted, so none should be stored on the endpoint.`
    : `The endpoint accepted ${n} test event${n > 1 ? 's' : ''} of type "${r.testEvents.type}" (${r.testEvents.svixIds.join(', ')}). They are not Clerk events: clerk-sync stores them as skipped and syncs nothing; other handlers should ignore the unknown type. Safe to delete.`);
  const failed = r.checks.filter((c) => c.status === 'fail').length;
  const skipped = r.checks.filter((c) => c.status === 'skip').length;
  const warned = r.checks.filter((c) => c.status === 'warn').length;
  out.push(r.ok
    ? `All ${r.checks.length} checks passed${warned ? ` (${warned} warning${warned > 1 ? 's' : ''})` : ''}.`
    : `${failed} of ${r.checks.length} checks failed${skipped ? `, ${skipped} could not run` : ''}${warned ? `, ${warned} warned` : ''}.`);
  return out.join('\n');
}
