// Every layer with its output shape, its latest gradient norm, update ratio, dead and saturated share and a health badge,
// sortable by any column (users ask to sort layers by gradient magnitude). Rows are kept and updated in
// place, so focus and selection survive live updates.
import type { FromWebview } from '../src/shared/protocol';
import { el, setText } from './dom';
import { formatNumber, formatPercent } from '../src/shared/format';
import { HEALTH_LABEL, healthRank, layerHealth, type Health } from './health';
import type { LayerHistory, PanelStore } from './store';

interface Row {
  layer: LayerHistory;
  health: Health;
  /** `[features]` or `[C, H, W]` from the model summary (null when the summary has no shapes). */
  shape: readonly number[] | null;
}

type Value = number | string | null;

interface Column {
  key: string;
  label: string;
  numeric: boolean;
  value(r: Row): Value;
  text(r: Row): string;
}

const num = (v: number | null | undefined): number | null => (v === undefined ? null : v);

export const COLUMNS: Column[] = [
  { key: 'position', label: '#', numeric: true, value: (r) => r.layer.position, text: (r) => String(r.layer.position) },
  { key: 'name', label: 'Layer', numeric: false, value: (r) => r.layer.name, text: (r) => r.layer.name },
  { key: 'kind', label: 'Kind', numeric: false, value: (r) => r.layer.kind, text: (r) => r.layer.kind },
  { key: 'gradNorm', label: 'Gradient norm', numeric: true, value: (r) => num(r.layer.latest?.gradNorm), text: (r) => formatNumber(r.layer.latest?.gradNorm) },
  { key: 'updateRatio', label: 'Update / weight', numeric: true, value: (r) => num(r.layer.latest?.updateRatio), text: (r) => formatNumber(r.layer.latest?.updateRatio) },
  { key: 'dead', label: 'Dead', numeric: true, value: (r) => num(r.layer.latest?.deadRatio), text: (r) => formatPercent(r.layer.latest?.deadRatio) },
  { key: 'saturation', label: 'Saturated', numeric: true, value: (r) => num(r.layer.latest?.saturationRatio), text: (r) => formatPercent(r.layer.latest?.saturationRatio) },
  {
    key: 'output',
    label: 'Output',
    numeric: true,
    value: (r) => (r.shape ? r.shape.reduce((a, b) => a * b, 1) : null),
    text: (r) => (r.shape ? r.shape.join('×') : '–'),
  },
  { key: 'health', label: 'Health', numeric: true, value: (r) => healthRank(r.health), text: (r) => HEALTH_LABEL[r.health] },
];

/** Ascending order; missing values always last, NaN above every number (it is the worst value). */
export function compareValues(a: Value, b: Value, descending: boolean): number {
  if (a === null || b === null) return a === b ? 0 : a === null ? 1 : -1;
  const sign = descending ? -1 : 1;
  if (typeof a === 'string' || typeof b === 'string') return sign * String(a).localeCompare(String(b));
  const ra = Number.isNaN(a) ? Infinity : a;
  const rb = Number.isNaN(b) ? Infinity : b;
  return ra === rb ? 0 : sign * (ra < rb ? -1 : 1);
}

export class LayerTableView {
  readonly root: HTMLElement;
  private readonly tbody = el('tbody', {});
  private readonly headers: HTMLTableCellElement[] = [];
  private readonly rows = new Map<number, { tr: HTMLTableRowElement; cells: HTMLElement[] }>();
  private sortKey = 'position';
  private descending = false;
  private runId: string | null = null;
  private lastStore: PanelStore | null = null;

  constructor(private readonly post: (msg: FromWebview) => void) {
    const headRow = el('tr', {});
    for (const c of COLUMNS) {
      const button = el('button', { type: 'button', class: 'sort', 'data-key': c.key }, c.label);
      button.addEventListener('click', () => this.sortBy(c.key));
      const th = el('th', { scope: 'col', 'data-key': c.key, class: c.numeric ? 'num' : '' }, button);
      this.headers.push(th);
      headRow.append(th);
    }
    this.root = el(
      'section',
      { class: 'layers-section', 'aria-labelledby': 'layers-title' },
      el('h2', { id: 'layers-title' }, 'Layers'),
      el('div', { class: 'table-scroll' }, el('table', { class: 'layer-table', id: 'layer-table', 'aria-labelledby': 'layers-title' }, el('thead', {}, headRow), this.tbody)),
    );
    this.updateSortHeaders();
  }

  sortBy(key: string): void {
    if (this.sortKey === key) this.descending = !this.descending;
    else {
      this.sortKey = key;
      // Numbers are most interesting largest first (gradient magnitude, dead share, worst health).
      this.descending = COLUMNS.find((c) => c.key === key)?.numeric === true && key !== 'position';
    }
    this.updateSortHeaders();
    if (this.lastStore) this.render(this.lastStore);
  }

  render(store: PanelStore): void {
    this.lastStore = store;
    const run = store.current;
    if ((run?.info.runId ?? null) !== this.runId) {
      this.rows.clear();
      this.tbody.replaceChildren();
      this.runId = run?.info.runId ?? null;
    }
    if (!run) return;
    const shapes = new Map(run.info.model.layers.map((l) => [l.position, l.outputShape ?? null]));
    const rows: Row[] = run.layers.map((layer) => ({ layer, health: layerHealth(layer, run.findings), shape: shapes.get(layer.position) ?? null }));
    const column = COLUMNS.find((c) => c.key === this.sortKey) ?? COLUMNS[0]!;
    rows.sort((a, b) => compareValues(column.value(a), column.value(b), this.descending) || a.layer.position - b.layer.position);
    const order: HTMLTableRowElement[] = [];
    for (const r of rows) {
      const row = this.rows.get(r.layer.position) ?? this.createRow(run.info.runId, r.layer);
      this.rows.set(r.layer.position, row);
      COLUMNS.forEach((c, i) => setText(row.cells[i]!, c.text(r)));
      const badge = row.cells[COLUMNS.length - 1]!;
      badge.dataset.health = r.health;
      row.tr.classList.toggle('selected', r.layer.position === store.selected);
      order.push(row.tr);
    }
    // Move rows only when the order changed: moving a row would take focus away from its button.
    const current = [...this.tbody.children];
    if (current.length !== order.length || current.some((tr, i) => tr !== order[i])) this.tbody.replaceChildren(...order);
  }

  private createRow(runId: string, layer: LayerHistory): { tr: HTMLTableRowElement; cells: HTMLElement[] } {
    const cells = COLUMNS.map((c) => (c.key === 'health' ? el('span', { class: 'health-badge' }) : el('span', {})));
    const reveal = el('button', { type: 'button', class: 'link', 'aria-label': `Show layer ${layer.name} in the model file` }, cells[1]!);
    reveal.addEventListener('click', () => this.post({ type: 'reveal-layer', runId, layerIndex: layer.index, field: null }));
    const tds = COLUMNS.map((c, i) => el(i === 1 ? 'th' : 'td', { class: c.numeric ? 'num' : '', ...(i === 1 ? { scope: 'row' } : {}) }, i === 1 ? reveal : cells[i]!));
    const tr = el('tr', { 'data-position': String(layer.position) }, ...tds);
    return { tr, cells };
  }

  private updateSortHeaders(): void {
    for (const th of this.headers) {
      const active = th.dataset.key === this.sortKey;
      if (active) th.setAttribute('aria-sort', this.descending ? 'descending' : 'ascending');
      else th.removeAttribute('aria-sort');
    }
  }
}
