/** Milliseconds per unit of the durations users write: `500ms`, `5s`, `2m`, `1h`, `7d`. */
export const UNIT_MS = { ms: 1, s: 1e3, m: 6e4, h: 36e5, d: 864e5 } as const;

export type DurationUnit = keyof typeof UNIT_MS;

/**
 * `250ms`, `5s`, `1.5m`, `2h`, `1d` in milliseconds. A bare number is in `defaultUnit`, or is not
 * a duration when there is none. Null when `value` is not a duration.
 */
export function parseDuration(value: string, defaultUnit?: DurationUnit): number | null {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)?$/.exec(value.trim());
  const unit = (m?.[2] as DurationUnit | undefined) ?? defaultUnit;
  return m && unit ? Number(m[1]) * UNIT_MS[unit] : null;
}
