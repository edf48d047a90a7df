/**
 * Just enough of the Prometheus text exposition format (version 0.0.4) for clerk-sync's own
 * metrics: counters and histograms with labels, rendered by hand.
 */

export const PROMETHEUS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

type Labels = Record<string, string>;

function labelText(labels: Labels): string {
  const parts = Object.entries(labels).map(([k, v]) => `${k}="${v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"')}"`);
  return parts.length ? `{${parts.join(',')}}` : '';
}

function number(n: number): string {
  if (n === Infinity) return '+Inf';
  if (n === -Infinity) return '-Inf';
  return Number.isNaN(n) ? 'NaN' : String(n);
}

function header(name: string, help: string, type: string): string {
  return `# HELP ${name} ${help.replace(/\\/g, '\\\\').replace(/\n/g, '\\n')}\n# TYPE ${name} ${type}\n`;
}

/** A monotonically increasing count, optionally split by one label. */
export class Counter {
  readonly #values = new Map<string, number>();
  constructor(
    readonly name: string,
    readonly help: string,
    readonly label?: string,
  ) {}

  inc(labelValue = '', by = 1): void {
    this.#values.set(labelValue, (this.#values.get(labelValue) ?? 0) + by);
  }

  get(labelValue = ''): number {
    return this.#values.get(labelValue) ?? 0;
  }

  render(): string {
    let out = header(this.name, this.help, 'counter');
    if (!this.label) return `${out}${this.name} ${number(this.get())}\n`;
    for (const [value, n] of [...this.#values].sort(([a], [b]) => a.localeCompare(b))) out += `${this.name}${labelText({ [this.label]: value })} ${number(n)}\n`;
    return out;
  }
}

/** Observations counted into cumulative buckets (upper bounds in the metric's unit). */
export class Histogram {
  readonly #counts: number[];
  #sum = 0;
  #count = 0;
  constructor(
    readonly name: string,
    readonly help: string,
    readonly bounds: readonly number[],
  ) {
    this.#counts = bounds.map(() => 0);
  }

  observe(value: number): void {
    for (let i = 0; i < this.bounds.length; i++) if (value <= this.bounds[i]!) this.#counts[i]!++;
    this.#sum += value;
    this.#count++;
  }

  render(): string {
    let out = header(this.name, this.help, 'histogram');
    this.bounds.forEach((le, i) => (out += `${this.name}_bucket${labelText({ le: number(le) })} ${this.#counts[i]}\n`));
    out += `${this.name}_bucket{le="+Inf"} ${this.#count}\n${this.name}_sum ${number(this.#sum)}\n${this.name}_count ${this.#count}\n`;
    return out;
  }
}

/** A value read at scrape time. */
export function gauge(name: string, help: string, value: number): string {
  return `${header(name, help, 'gauge')}${name} ${number(value)}\n`;
}

/** Values read at scrape time, one series per label set; nothing when there are none. */
export function labelledGauge(name: string, help: string, series: ReadonlyArray<[Labels, number]>): string {
  if (series.length === 0) return '';
  return `${header(name, help, 'gauge')}${series.map(([labels, value]) => `${name}${labelText(labels)} ${number(value)}\n`).join('')}`;
}
