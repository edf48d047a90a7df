/**
 * Reads captured request headers: a JSON object (`{"svix-id": "msg_..."}`, values strings or
 * arrays), or raw `Name: value` lines as copied from logs, devtools or `curl -v` (a request line
 * and `> ` prefixes are skipped). Names are lower-cased. Throws with what was wrong.
 */
export function parseHeaderText(text: string): Record<string, string> {
  const trimmed = text.trim();
  if (trimmed.startsWith('{')) {
    let value: unknown;
    try {
      value = JSON.parse(trimmed);
    } catch (error) {
      throw new Error(`the headers look like JSON but do not parse: ${(error as Error).message}`);
    }
    if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new Error('the headers JSON must be an object of "name": "value"');
    const out: Record<string, string> = {};
    for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
      if (typeof v === 'string') out[k.toLowerCase()] = v;
      else if (Array.isArray(v) && v.every((x) => typeof x === 'string')) out[k.toLowerCase()] = v.join(k.toLowerCase().endsWith('signature') ? ' ' : ', ');
      else if (typeof v === 'number') out[k.toLowerCase()] = String(v);
      else throw new Error(`header "${k}" must be a string, got ${JSON.stringify(v)}`);
    }
    return out;
  }
  const out: Record<string, string> = {};
  for (const rawLine of text.split(/\r?\n/)) {
    const line = rawLine.replace(/^[<>]\s?/, '').trim();
    if (line === '' || /^[A-Z]+ \S+ HTTP\/\d/.test(line) || /^HTTP\/\d/.test(line)) continue;
    const colon = line.indexOf(':');
    if (colon <= 0) throw new Error(`cannot read header line "${line.slice(0, 80)}": expected "Name: value" lines or a JSON object`);
    const name = line.slice(0, colon).trim().toLowerCase();
    const value = line.slice(colon + 1).trim();
    out[name] = out[name] !== undefined ? `${out[name]}${name.endsWith('signature') ? ' ' : ', '}${value}` : value;
  }
  if (Object.keys(out).length === 0) throw new Error('no headers found: expected "Name: value" lines or a JSON object');
  return out;
}
