import { EVENT_TYPES, isKnownEventType, type ClerkEventType, type ClerkWebhookEvent } from '../events/catalog.js';
import type { EventHandler, EventOfType, HandlerMap } from './types.js';

type AnyHandler<AppDatabase> = EventHandler<ClerkWebhookEvent, AppDatabase>;

/**
 * Which handlers run for which event type, in registration order. `on` narrows the event to the
 * type(s) given; `onAny` sees every event of the catalog.
 */
export class EventHandlers<AppDatabase = {}> {
  readonly #entries: Array<{ types: ReadonlySet<string> | 'all'; handler: AnyHandler<AppDatabase> }> = [];
  #sealed: string | null = null;

  constructor(map?: HandlerMap<AppDatabase>) {
    if (map) this.add(map);
  }

  on<T extends ClerkEventType>(type: T | readonly T[], handler: EventHandler<EventOfType<T>, AppDatabase>): this {
    const types = typeof type === 'string' ? [type] : [...type];
    for (const t of types) {
      if (!isKnownEventType(t)) throw new TypeError(unknownTypeMessage(t));
    }
    this.#push(new Set(types), handler as AnyHandler<AppDatabase>);
    return this;
  }

  onAny(handler: EventHandler<ClerkWebhookEvent, AppDatabase>): this {
    this.#push('all', handler);
    return this;
  }

  /** Registers every entry of a handler map (`'*'` is the catch-all). */
  add(map: HandlerMap<AppDatabase>): this {
    for (const [key, handler] of Object.entries(map)) {
      if (handler === undefined) continue;
      if (typeof handler !== 'function') throw new TypeError(`handlers['${key}'] must be a function, got ${typeof handler}`);
      if (key === '*') this.onAny(handler as AnyHandler<AppDatabase>);
      else this.on<ClerkEventType>(key as ClerkEventType, handler as AnyHandler<AppDatabase>);
    }
    return this;
  }

  /** The handlers for one event type, in registration order. */
  for(type: string): Array<AnyHandler<AppDatabase>> {
    return this.#entries.filter((e) => e.types === 'all' || e.types.has(type)).map((e) => e.handler);
  }

  get size(): number {
    return this.#entries.length;
  }

  /** After this, registering throws `reason`: events processed earlier would have missed the handler. */
  seal(reason: string): void {
    this.#sealed = reason;
  }

  #push(types: ReadonlySet<string> | 'all', handler: AnyHandler<AppDatabase>): void {
    if (this.#sealed !== null) throw new Error(this.#sealed);
    if (typeof handler !== 'function') throw new TypeError(`a handler must be a function, got ${typeof handler}`);
    this.#entries.push({ types, handler });
  }
}

export function unknownTypeMessage(type: string): string {
  const namespace = type.split('.')[0]!;
  const close = EVENT_TYPES.filter((t) => t.startsWith(`${namespace}.`));
  return `"${type}" is not a Clerk event type${close.length ? `; did you mean ${close.join(', ')}?` : '; see EVENT_TYPES for the list'}`;
}
