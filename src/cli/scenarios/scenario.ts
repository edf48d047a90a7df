import { readFileSync } from 'node:fs';
import { EVENT_TYPES, isKnownEventType, type ClerkEventType } from '../../events/catalog.js';

/** One event of a scenario: a catalog type, and fields to set on its fixture. */
export interface ScenarioStep {
  type: ClerkEventType;
  /** Dot path -> value, e.g. `{ "data.first_name": "Ada" }`. `"{{prefix:label}}"` values become fresh ids. */
  set?: Record<string, unknown>;
}

/** A named, coherent sequence of events whose ids refer to each other. */
export interface Scenario {
  name: string;
  description: string;
  steps: ScenarioStep[];
}

/** A scenario file (or definition) that is not what `trigger --scenarios` expects; the message says where and why. */
export class ScenarioError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ScenarioError';
  }
}

/** Scenario names never contain a dot, so `trigger <name>` cannot be mistaken for an event type. */
export const SCENARIO_NAME = /^[a-z][a-z0-9-]{0,62}$/;

const FORMAT_HINT = 'expected {"scenarios": [{"name": "my-flow", "description": "...", "steps": [{"type": "user.created", "set": {"data.first_name": "Ada"}}]}]}';

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function closest(type: string): string {
  const family = EVENT_TYPES.filter((t) => t.startsWith(`${type.split('.')[0]}.`));
  return family.length ? `; did you mean ${family.join(', ')}?` : '; `clerk-sync trigger --list` shows every type';
}

/** Checks a parsed scenario file and returns its scenarios; errors name the file, the scenario and the step. */
export function parseScenarios(value: unknown, source: string): Scenario[] {
  const fail = (where: string, what: string): never => {
    throw new ScenarioError(`${source}: ${where}${where ? ': ' : ''}${what}`);
  };
  if (!isObject(value) || !Array.isArray(value.scenarios)) fail('', `no "scenarios" array at the top level; ${FORMAT_HINT}`);
  const list = (value as { scenarios: unknown[] }).scenarios;
  if (list.length === 0) fail('"scenarios"', 'is empty; add at least one scenario');
  const seen = new Set<string>();
  return list.map((raw, i) => {
    const at = `scenarios[${i}]`;
    if (!isObject(raw)) fail(at, 'is not an object');
    const s = raw as Record<string, unknown>;
    if (typeof s.name !== 'string' || !SCENARIO_NAME.test(s.name)) {
      fail(at, `"name" must be lower-case letters, digits and dashes, starting with a letter (no dots, so it cannot be taken for an event type), got ${JSON.stringify(s.name)}`);
    }
    const name = s.name as string;
    const here = `scenario "${name}"`;
    if (seen.has(name)) fail(here, 'is defined twice');
    seen.add(name);
    if (s.description !== undefined && typeof s.description !== 'string') fail(here, '"description" must be a string');
    if (!Array.isArray(s.steps) || s.steps.length === 0) fail(here, '"steps" must be a non-empty array of {"type": "...", "set": {...}}');
    const steps = (s.steps as unknown[]).map((rawStep, j): ScenarioStep => {
      const stepAt = `${here}, steps[${j}]`;
      if (!isObject(rawStep)) fail(stepAt, 'is not an object');
      const step = rawStep as Record<string, unknown>;
      for (const key of Object.keys(step)) if (key !== 'type' && key !== 'set') fail(stepAt, `unknown field "${key}"; a step has "type" and optionally "set"`);
      if (typeof step.type !== 'string') fail(stepAt, '"type" must be an event type such as "user.created"');
      if (!isKnownEventType(step.type as string)) fail(stepAt, `unknown event type "${step.type}"${closest(step.type as string)}`);
      if (step.set !== undefined) {
        if (!isObject(step.set)) fail(stepAt, '"set" must be an object of "path": value, e.g. {"data.first_name": "Ada"}');
        const refs = JSON.stringify(step.set).match(/\{\{steps\.(\d+)\./g) ?? [];
        for (const r of refs) {
          const n = Number(/\d+/.exec(r)![0]);
          if (n >= j) fail(stepAt, `"{{steps.${n}...}}" refers to a step that is not before this one; refer to steps 0 to ${j - 1}`);
        }
        for (const path of Object.keys(step.set as object)) {
          if (!/^[A-Za-z0-9_$-]+(\.[A-Za-z0-9_$-]+)*$/.test(path) || /(^|\.)(__proto__|prototype|constructor)(\.|$)/.test(path)) {
            fail(stepAt, `"set" path "${path}" is not a dot path like data.first_name or data.email_addresses.0.email_address`);
          }
        }
      }
      return { type: step.type as ClerkEventType, ...(step.set ? { set: step.set as Record<string, unknown> } : {}) };
    });
    return { name, description: (s.description as string | undefined) ?? '', steps };
  });
}

/** Reads and checks a scenario file (JSON). */
export function loadScenarioFile(path: string): Scenario[] {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new ScenarioError(`cannot read scenario file ${path}: ${(error as Error).message}`);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new ScenarioError(`${path} is not valid JSON: ${(error as Error).message}`);
  }
  return parseScenarios(value, path);
}
