// The views that show the network learn (network diagram, decision boundary, activation and weight
// distributions), in one section below the findings. Each redraws from the store; the decision boundary
// is shown only for models with two inputs.
import { el } from '../dom';
import type { PanelStore } from '../store';
import { ActivationsView } from './activations-view';
import { BoundaryView } from './boundary-view';
import { DistributionsView } from './distributions-view';
import { NetworkView } from './network-view';

export class PicturesView {
  readonly root: HTMLElement;
  private readonly network = new NetworkView();
  private readonly boundary = new BoundaryView();
  private readonly activations = new ActivationsView();
  private readonly distributions = new DistributionsView();

  constructor(select: (position: number) => void, redraw: () => void) {
    this.network.onSelect = select;
    this.distributions.onSelect = select;
    for (const v of [this.boundary, this.activations, this.distributions]) v.onChange = redraw;
    this.root = el('section', { class: 'charts pictures', 'aria-label': 'How the network learns' }, this.network.root, this.boundary.card.root, this.activations.card.root, this.distributions.card.root);
  }

  render(store: PanelStore): void {
    this.boundary.card.root.hidden = !BoundaryView.applies(store);
    this.network.render(store);
    if (!this.boundary.card.root.hidden) this.boundary.render(store);
    this.activations.render(store);
    this.distributions.render(store);
  }
}
