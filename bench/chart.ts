/**
 * A horizontal bar chart as a standalone SVG, for docs/benchmarks.md: no plotting dependency, and
 * it renders on GitHub and in any browser.
 */
export interface Bar {
  label: string;
  value: number;
  /** Our own bars are drawn in the accent colour, peers in grey. */
  ours?: boolean;
}

const escape = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

export function barChart(title: string, unit: string, bars: readonly Bar[]): string {
  const labelWidth = 360;
  const barArea = 380;
  const rowHeight = 28;
  const top = 44;
  const width = labelWidth + barArea + 110;
  const height = top + bars.length * rowHeight + 16;
  const max = Math.max(...bars.map((b) => b.value), 1);
  const rows = bars.map((b, i) => {
    const y = top + i * rowHeight;
    const w = Math.max(2, Math.round((b.value / max) * barArea));
    return [
      `<text x="${labelWidth - 10}" y="${y + 17}" text-anchor="end">${escape(b.label)}</text>`,
      `<rect x="${labelWidth}" y="${y + 4}" width="${w}" height="${rowHeight - 10}" rx="3" fill="${b.ours ? '#6c47ff' : '#9aa3ae'}"/>`,
      `<text x="${labelWidth + w + 8}" y="${y + 17}">${Math.round(b.value).toLocaleString('en-US')}</text>`,
    ].join('');
  });
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="system-ui, sans-serif" font-size="13" fill="#1f2328">`,
    `<rect width="100%" height="100%" fill="#ffffff"/>`,
    `<text x="16" y="26" font-size="15" font-weight="600">${escape(title)} <tspan font-weight="400" fill="#57606a">(${escape(unit)})</tspan></text>`,
    ...rows,
    '</svg>',
    '',
  ].join('\n');
}
