import { EVENT_TYPES, type ClerkEventType } from '../events/catalog.js';
import { unknownTypeMessage } from './registry.js';

type Namespace = ClerkEventType extends `${infer N}.${string}` ? N : never;

/** An event type, or every type of a namespace: `'user.*'`, `'organizationMembership.*'`. */
export type EventTypePattern = ClerkEventType | `${Namespace}.*`;

/**
 * Which events the built-in table sync applies: `true` (default) all, `false` none (handlers only),
 * or a subset by type.
 */
export type SyncOption = boolean | { only: readonly EventTypePattern[]; except?: never } | { except: readonly EventTypePattern[]; only?: never };

/** Resolves a SyncOption to a predicate on event types; a wrong pattern throws with the fix. */
export function syncFilter(option: SyncOption | undefined): (type: string) => boolean {
  if (option === undefined || option === true) return () => true;
  if (option === false) return () => false;
  const { only, except } = option as { only?: readonly string[]; except?: readonly string[] };
  if ((only === undefined) === (except === undefined)) {
    throw new TypeError('sync takes either { only: [...] } or { except: [...] } (event types such as "user.created", or "user.*"), not both nor neither');
  }
  const selected = expand((only ?? except)!);
  return only !== undefined ? (type) => selected.has(type) : (type) => !selected.has(type);
}

function expand(patterns: readonly string[]): Set<string> {
  const types = new Set<string>();
  for (const pattern of patterns) {
    if (pattern.endsWith('.*')) {
      const prefix = pattern.slice(0, -1);
      const matched = EVENT_TYPES.filter((t) => t.startsWith(prefix));
      if (matched.length === 0) throw new TypeError(`sync: "${pattern}" matches no Clerk event type; namespaces are ${[...new Set(EVENT_TYPES.map((t) => `${t.split('.')[0]}.*`))].join(', ')}`);
      for (const t of matched) types.add(t);
    } else if ((EVENT_TYPES as readonly string[]).includes(pattern)) {
      types.add(pattern);
    } else {
      throw new TypeError(`sync: ${unknownTypeMessage(pattern)}`);
    }
  }
  return types;
}
