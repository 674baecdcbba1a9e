/**
 * The rollback-probability curve as a self-contained SVG (no dependency): rollback rate against the
 * canary's true ratio, one line per setting, with maxRatio, detectRatio and alpha marked. The x axis is
 * logarithmic in the ratio.
 */

export interface CurveSeries {
  title: string;
  points: { x: number; y: number }[];
}

const COLORS = ['#1f77b4', '#ff7f0e', '#2ca02c', '#d62728', '#9467bd', '#7f7f7f', '#8c564b'];
const DASHED = new Set(["Wald's SPRT (knows the stable's rate)", 'Flagger-style']);

function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/'/g, '&#39;');
}

/** The SVG text. */
export function curveSvg(
  series: readonly CurveSeries[],
  marks: { maxRatio: number; detectRatio: number; alpha: number },
): string {
  const W = 760;
  const H = 440;
  const left = 60;
  const right = 250;
  const top = 30;
  const bottom = 50;
  const xs = series.flatMap((s) => s.points.map((p) => p.x));
  const minX = Math.min(...xs, 1);
  const maxX = Math.max(...xs, marks.detectRatio);
  const lx = (x: number) =>
    left + ((Math.log(x) - Math.log(minX)) / (Math.log(maxX) - Math.log(minX))) * (W - left - right);
  const ly = (y: number) => top + (1 - y) * (H - top - bottom);
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="12">`,
    `<rect width="${W}" height="${H}" fill="white"/>`,
    `<text x="${left}" y="18" font-size="14">Rollback probability by the canary's true error-rate ratio (maxRatio ${marks.maxRatio}, detectRatio ${marks.detectRatio}, alpha ${marks.alpha})</text>`,
  ];
  for (const y of [0, 0.25, 0.5, 0.75, 1]) {
    out.push(`<line x1="${left}" x2="${W - right}" y1="${ly(y)}" y2="${ly(y)}" stroke="#ddd"/>`);
    out.push(`<text x="${left - 8}" y="${ly(y) + 4}" text-anchor="end">${Math.round(y * 100)}%</text>`);
  }
  const ticks = [...new Set(xs)].sort((a, b) => a - b);
  for (const x of ticks) {
    out.push(`<line x1="${lx(x)}" x2="${lx(x)}" y1="${ly(0)}" y2="${ly(0) + 5}" stroke="#333"/>`);
    out.push(`<text x="${lx(x)}" y="${ly(0) + 18}" text-anchor="middle">${x}×</text>`);
  }
  out.push(
    `<text x="${(left + W - right) / 2}" y="${H - 10}" text-anchor="middle">true ratio of the canary's error rate to the stable's (log scale)</text>`,
  );
  out.push(`<line x1="${left}" x2="${W - right}" y1="${ly(0)}" y2="${ly(0)}" stroke="#333"/>`);
  out.push(`<line x1="${left}" x2="${left}" y1="${ly(0)}" y2="${ly(1)}" stroke="#333"/>`);
  // The guarantee: at most alpha up to maxRatio; the target: 95% at detectRatio.
  out.push(
    `<rect x="${left}" y="${ly(marks.alpha)}" width="${lx(marks.maxRatio) - left}" height="${ly(0) - ly(marks.alpha)}" fill="#2ca02c" opacity="0.25"/>`,
    `<line x1="${lx(marks.maxRatio)}" x2="${lx(marks.maxRatio)}" y1="${ly(0)}" y2="${ly(1)}" stroke="#2ca02c" stroke-dasharray="4 3"/>`,
    `<text x="${lx(marks.maxRatio) + 3}" y="${ly(1) + 12}" fill="#2ca02c">maxRatio</text>`,
    `<line x1="${lx(marks.detectRatio)}" x2="${lx(marks.detectRatio)}" y1="${ly(0)}" y2="${ly(1)}" stroke="#d62728" stroke-dasharray="4 3"/>`,
    `<text x="${lx(marks.detectRatio) + 3}" y="${ly(1) + 12}" fill="#d62728">detectRatio</text>`,
    `<line x1="${lx(marks.detectRatio) - 6}" x2="${lx(marks.detectRatio) + 6}" y1="${ly(0.95)}" y2="${ly(0.95)}" stroke="#d62728"/>`,
  );
  series.forEach((s, i) => {
    const color = COLORS[i % COLORS.length];
    const pts = s.points.map((p) => `${lx(p.x).toFixed(1)},${ly(p.y).toFixed(1)}`).join(' ');
    const dash = DASHED.has(s.title) ? ' stroke-dasharray="6 4"' : '';
    out.push(`<polyline points="${pts}" fill="none" stroke="${color}" stroke-width="2"${dash}/>`);
    for (const p of s.points)
      out.push(`<circle cx="${lx(p.x).toFixed(1)}" cy="${ly(p.y).toFixed(1)}" r="3" fill="${color}"/>`);
    const ly0 = top + 10 + i * 20;
    out.push(
      `<line x1="${W - right + 15}" x2="${W - right + 40}" y1="${ly0}" y2="${ly0}" stroke="${color}" stroke-width="2"${dash}/>`,
    );
    out.push(`<text x="${W - right + 45}" y="${ly0 + 4}">${esc(s.title)}</text>`);
  });
  const note = top + 20 + series.length * 20;
  out.push(`<rect x="${W - right + 15}" y="${note - 8}" width="25" height="10" fill="#2ca02c" opacity="0.25"/>`);
  out.push(`<text x="${W - right + 45}" y="${note + 2}">≤ alpha up to maxRatio</text>`);
  out.push('</svg>', '');
  return out.join('\n');
}
