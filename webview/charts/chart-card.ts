// One chart's frame: a titled figure with the canvas (role=img with a live summary as its label), a note
// shown instead of the canvas when there is nothing to draw, and a data table as the text alternative
// (filled only while it is open).
import { el, setText } from '../dom';

export interface TableRow {
  cells: string[];
}

export class ChartCard {
  readonly root: HTMLElement;
  readonly canvas: HTMLCanvasElement;
  readonly controls: HTMLElement;
  private readonly box: HTMLElement;
  private readonly empty: HTMLElement;
  private readonly details: HTMLDetailsElement;
  private readonly table: HTMLTableElement;
  private rows: () => { head: string[]; rows: TableRow[] } = () => ({ head: [], rows: [] });

  constructor(
    readonly id: string,
    readonly title: string,
    readonly description: string,
  ) {
    const titleId = `${id}-title`;
    const descId = `${id}-desc`;
    this.canvas = el('canvas', { id: `${id}-canvas`, role: 'img', 'aria-label': title });
    this.box = el('div', { class: 'chart-box' }, this.canvas);
    this.empty = el('p', { class: 'chart-empty', hidden: true });
    this.table = el('table', { class: 'data-table' });
    this.details = el('details', { class: 'chart-data' }, el('summary', {}, 'Show the data as a table'), this.table);
    this.details.addEventListener('toggle', () => this.refreshTable());
    this.controls = el('div', { class: 'chart-controls' });
    this.root = el(
      'figure',
      { class: 'chart-card', id, 'aria-labelledby': titleId, 'aria-describedby': descId },
      el('div', { class: 'chart-head' }, el('h3', { id: titleId }, title), this.controls),
      el('p', { class: 'chart-desc', id: descId }, description),
      this.box,
      this.empty,
      this.details,
    );
  }

  /** Shows `message` instead of the chart, or the chart when `message` is null. */
  setEmpty(message: string | null): void {
    this.box.hidden = message !== null;
    this.empty.hidden = message === null;
    if (message !== null) setText(this.empty, message);
  }

  setSummary(summary: string): void {
    this.canvas.setAttribute('aria-label', `${this.title}: ${summary}`);
  }

  setTableSource(rows: () => { head: string[]; rows: TableRow[] }): void {
    this.rows = rows;
  }

  refreshTable(): void {
    if (!this.details.open) return;
    const { head, rows } = this.rows();
    const thead = el('thead', {}, el('tr', {}, ...head.map((h) => el('th', { scope: 'col' }, h))));
    const tbody = el('tbody', {}, ...rows.map((r) => el('tr', {}, ...r.cells.map((c, i) => (i === 0 ? el('th', { scope: 'row' }, c) : el('td', {}, c))))));
    this.table.replaceChildren(thead, tbody);
  }
}
