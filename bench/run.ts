/**
 * `npm run bench`: every benchmark in one run, printed as Markdown and saved to
 * .bench-out/latest.md. Machine details are printed with the figures so they can be compared.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { benchIngest, ingestTable } from './ingest.js';
import { benchProcess, processTable } from './process.js';
import { benchVerify, formatVerifyTable } from './verify.js';

const sections: string[] = [];
const emit = (title: string, body: string) => {
  const text = `## ${title}\n\n${body}\n`;
  sections.push(text);
  console.log(text);
};

emit('Machine', `${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}, ${new Date().toISOString()}`);
console.error('verify: clerk-sync vs svix vs @clerk/backend vs bare node:crypto (5 rounds, medians)…');
emit('Signature verification (ops/s, median of 5 rounds)', formatVerifyTable(await benchVerify()));
console.error('ingest: clerk-sync serve on SQLite under autocannon…');
emit('Ingest over HTTP on loopback (autocannon, unique signed events)', ingestTable([
  ...(await benchIngest()),
  ...(await benchIngest({ extraArgs: ['--no-worker'], label: 'clerk-sync serve --no-worker (SQLite)' })),
]));
console.error('processing: 50,000 mixed events from a backlog…');
emit('Processing from a backlog', processTable([await benchProcess({ events: 50_000 })]));

mkdirSync('.bench-out', { recursive: true });
writeFileSync('.bench-out/latest.md', `# clerk-sync benchmarks\n\n${sections.join('\n')}`);
console.error('saved .bench-out/latest.md');
