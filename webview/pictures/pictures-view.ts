// The views that show the network learn (network diagram, decision boundary, activation and weight
// distributions), in one section below the charts. They redraw when a new picture arrives, the selection
// or the theme changes, or a control is used, and only while on screen (as the charts do).
import { el } from '../dom';
import { readTheme, type ChartTheme } from '../charts/theme';
import type { PanelStore } from '../store';
import { ActivationsView } from './activations-view';
import { BoundaryView } from './boundary-view';
import { DistributionsView } from './distributions-view';
import { NetworkView } from './network-view';

const SCREEN_MARGIN_PX = 150;

interface View {
  render(store: PanelStore, theme: ChartTheme): void;
}

export class PicturesView {
  readonly root: HTMLElement;
  private readonly network = new NetworkView();
  private readonly boundary = new BoundaryView();
  private readonly activations = new ActivationsView();
  private readonly distributions = new DistributionsView();
  private theme = readTheme();
  /** What each view last drew; a view redraws when this differs. */
  private readonly drawn = new Map<View, unknown[]>();
  private readonly onScreen = new Map<Element, boolean>();
  private readonly visibility: IntersectionObserver;

  constructor(select: (position: number) => void, redraw: () => void) {
    this.network.onSelect = select;
    this.distributions.onSelect = select;
    for (const v of [this.boundary, this.activations, this.distributions]) {
      v.onChange = () => {
        this.drawn.delete(v);
        redraw();
      };
    }
    const cards = [this.network.root, this.boundary.card.root, this.activations.card.root, this.distributions.card.root];
    this.root = el('section', { class: 'charts pictures', 'aria-label': 'How the network learns' }, ...cards);
    this.visibility = new IntersectionObserver(
      (entries) => {
        for (const e of entries) this.onScreen.set(e.target, e.isIntersecting);
        if (entries.some((e) => e.isIntersecting)) redraw();
      },
      { rootMargin: `${SCREEN_MARGIN_PX}px` },
    );
    cards.forEach((c) => this.visibility.observe(c));
  }

  retheme(): void {
    this.theme = readTheme();
    this.drawn.clear();
  }

  render(store: PanelStore): void {
    const run = store.current;
    // runs that send no pictures (recorded from PyTorch) show no empty cards
    this.root.hidden = !run || run.pictures.length === 0;
    if (this.root.hidden) return;
    this.boundary.card.root.hidden = !BoundaryView.applies(store);
    const views: [View, Element][] = [
      [this.network, this.network.root],
      [this.boundary, this.boundary.card.root],
      [this.activations, this.activations.card.root],
      [this.distributions, this.distributions.card.root],
    ];
    // the store makes a new list whenever a picture arrives: the list itself says what is new
    const inputs = [run, run?.pictures, store.previous?.pictures, store.selected];
    for (const [view, root] of views) {
      if ((root as HTMLElement).hidden || this.onScreen.get(root) === false) continue;
      const last = this.drawn.get(view);
      if (last && last.every((x, i) => x === inputs[i])) continue;
      view.render(store, this.theme);
      this.drawn.set(view, inputs);
    }
  }
}
