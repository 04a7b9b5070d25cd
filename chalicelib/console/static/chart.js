// A grouped bar chart drawn as inline SVG: a few dozen rects, no library. The numbers are
// also in the table under it, so the chart is an aid, not the only way to read them.
const NS = 'http://www.w3.org/2000/svg';

function el(tag, attrs, text) {
  const node = document.createElementNS(NS, tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, String(v));
  if (text !== undefined) node.textContent = text;
  return node;
}

/**
 * barChart({title, labels: ['2026-11-01', …], series: [{name, color, values: [..]}]})
 * -> <svg role="img">; every bar carries data-series, data-label and data-value.
 */
export function barChart({ title, labels, series, height = 220 }) {
  const width = Math.max(480, labels.length * (series.length * 14 + 10) + 60);
  const top = 12; const bottom = 28; const left = 40;
  const max = Math.max(1, ...series.flatMap((s) => s.values));
  const plot = height - top - bottom;
  const group = (width - left - 10) / Math.max(1, labels.length);
  const bar = Math.max(3, Math.min(18, (group - 6) / series.length));
  const svg = el('svg', { viewBox: `0 0 ${width} ${height}`, role: 'img', 'aria-label': title });
  svg.append(el('title', {}, title));
  for (const tick of [0, Math.ceil(max / 2), max]) {
    const y = top + plot - (tick / max) * plot;
    svg.append(el('line', { x1: left, x2: width - 10, y1: y, y2: y, stroke: '#d5dae1' }),
      el('text', { x: left - 6, y: y + 4, 'text-anchor': 'end', 'font-size': 11, fill: '#5b6470' }, tick));
  }
  labels.forEach((label, i) => {
    const x0 = left + i * group + (group - bar * series.length) / 2;
    series.forEach((s, j) => {
      const value = s.values[i] || 0;
      const h = (value / max) * plot;
      const rect = el('rect', { x: x0 + j * bar, y: top + plot - h, width: bar - 1, height: h, fill: s.color,
        'data-series': s.name, 'data-label': label, 'data-value': value });
      rect.append(el('title', {}, `${label} · ${s.name}: ${value}`));
      svg.append(rect);
    });
    if (labels.length <= 16 || i % Math.ceil(labels.length / 16) === 0) {
      svg.append(el('text', { x: left + i * group + group / 2, y: height - 10, 'text-anchor': 'middle',
        'font-size': 10, fill: '#5b6470' }, label.slice(5)));
    }
  });
  return svg;
}
