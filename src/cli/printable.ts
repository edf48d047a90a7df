const escape = (c: string) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`;

/**
 * Text for a terminal, from stored content (types, ids, headers, errors: whatever a sender wrote):
 * control characters (C0, DEL, C1) and bidirectional overrides appear as \uXXXX escapes, so
 * nothing printed can move the cursor, clear the screen, set the window title, fake a line or
 * reorder what follows.
 */
export function printable(text: string): string {
  return text.replace(/[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g, escape);
}

/**
 * JSON text for a terminal: JSON.stringify escapes C0 controls in strings but leaves DEL, C1 and
 * bidi overrides raw; those become JSON escapes, so the output still parses to the same values
 * (and its own line breaks stay).
 */
export function printableJson(json: string): string {
  return json.replace(/[\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g, escape);
}
