import { eventFixture, freshId, setPath } from '../../events/fixtures.js';
import type { Scenario } from './scenario.js';

/** A `--set` given on the command line: applies to every event, or only to `type` when given. */
export interface FieldOverride {
  type?: string;
  path: string;
  value: string;
}

export interface BuildOptions {
  /** Time of the last event (ms); default now. */
  now?: number;
  /** Event time between consecutive steps (ms); default 1000. */
  stepMs?: number;
  overrides?: readonly FieldOverride[];
}

/** A payload ready to send, in scenario order. */
export interface ScenarioEvent {
  /** 0-based position in the scenario: the order the guards should see, whatever the delivery order. */
  step: number;
  type: string;
  event: Record<string, any>;
}

const PLACEHOLDER = /^\{\{([a-z][a-z0-9_]*):([A-Za-z0-9_-]+)\}\}$/;
/** `{{steps.0.data.id}}`: a value of an earlier step's event. */
export const STEP_REFERENCE = /^\{\{steps\.(\d+)\.([A-Za-z0-9_$-]+(?:\.[A-Za-z0-9_$-]+)*)\}\}$/;

function valueAt(obj: unknown, path: string): unknown {
  return path.split('.').reduce<unknown>((o, k) => (o && typeof o === 'object' ? (o as Record<string, unknown>)[k] : undefined), obj);
}

/**
 * Replaces `"{{prefix:label}}"` strings with a fresh id per placeholder, the same one wherever it
 * recurs in the run, and `"{{steps.N.path}}"` with that value of step N's event.
 */
function resolvePlaceholders(value: unknown, ids: Map<string, string>, earlier: readonly ScenarioEvent[]): unknown {
  if (typeof value === 'string') {
    const ref = STEP_REFERENCE.exec(value);
    if (ref) return valueAt(earlier[Number(ref[1])]?.event, ref[2]!);
    const m = PLACEHOLDER.exec(value);
    if (!m) return value;
    if (!ids.has(value)) ids.set(value, freshId(m[1]!));
    return ids.get(value);
  }
  if (Array.isArray(value)) return value.map((v) => resolvePlaceholders(v, ids, earlier));
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, resolvePlaceholders(v, ids, earlier)]));
  return value;
}

/**
 * The events of one run of a scenario, with fresh ids shared across its steps and strictly
 * increasing times: step i is sent as of `now - (n-1-i) * stepMs`, which becomes its envelope
 * `timestamp` and its `data.updated_at`. However the events are then delivered (shuffled,
 * duplicated, retried), the sync's newest-wins guards can tell the intended order. An entity keeps
 * the `created_at` it had in its first event.
 */
export function buildScenario(scenario: Scenario, options: BuildOptions = {}): ScenarioEvent[] {
  const stepMs = options.stepMs ?? 1000;
  const last = options.now ?? Date.now();
  const first = last - (scenario.steps.length - 1) * stepMs;
  const ids = new Map<string, string>();
  const createdAt = new Map<string, number>();
  const built: ScenarioEvent[] = [];
  for (const [i, step] of scenario.steps.entries()) {
    const event = eventFixture(step.type, { ids, now: first + i * stepMs }) as unknown as Record<string, any>;
    for (const [path, value] of Object.entries(step.set ?? {})) {
      const resolved = resolvePlaceholders(value, ids, built);
      // setPath reads strings as JSON text (for the CLI); a file's strings are meant as strings.
      setPath(event, path, typeof resolved === 'string' ? JSON.stringify(resolved) : resolved);
    }
    for (const o of options.overrides ?? []) if (o.type === undefined || o.type === step.type) setPath(event, o.path, o.value);
    const data = event.data as Record<string, unknown>;
    const explicit = Object.hasOwn(step.set ?? {}, 'data.created_at') || (options.overrides ?? []).some((o) => o.path === 'data.created_at');
    if (typeof data.id === 'string' && typeof data.created_at === 'number' && !explicit) {
      if (createdAt.has(data.id)) data.created_at = createdAt.get(data.id);
      else createdAt.set(data.id, data.created_at);
    }
    built.push({ step: i, type: step.type, event });
  }
  return built;
}
