// Wires the store to the views: incoming messages are decoded and validated, applied to the store, and
// the views redraw once per animation frame, each only when its part of the store changed.
import { decodeNumbers, isToWebview } from '../src/shared/protocol';
import { ChartsView } from './charts-view';
import { ChannelsView } from './channels/channels-view';
import { CompareView } from './compare-view';
import { el } from './dom';
import { FindingsView } from './findings';
import { HeaderView } from './header';
import { LayerTableView } from './layer-table';
import { PicturesView } from './pictures/pictures-view';
import { restoreStore, serializeStore } from './persist';
import { FrameScheduler, throttle } from './scheduler';
import { StatusView } from './status-view';
import { PanelStore, type Versions } from './store';
import type { PanelHost } from './vscode-api';

/**
 * While a run streams in, the saved state is refreshed this seldom: it only matters once the extension no
 * longer has the run (a window reload), since the extension replays a run it still has. Any other message
 * (a run starting, ending, failing) is saved at once.
 */
const SAVE_WHILE_STREAMING_MS = 5000;
/** Charts redraw at most this often while data streams in; the header and table follow every frame. */
const CHART_INTERVAL_MS = 200;

export class PanelApp {
  readonly store = new PanelStore();
  private readonly header: HeaderView;
  private readonly status = new StatusView();
  private readonly findings: FindingsView;
  private readonly charts: ChartsView;
  private readonly layers: LayerTableView;
  private readonly pictures: PicturesView;
  private readonly channels = new ChannelsView();
  private readonly compare = new CompareView();
  private readonly live: HTMLElement;
  private readonly scheduler = new FrameScheduler(() => this.render());
  private readonly saveSoon: () => void;
  private readonly saveWhileStreaming: () => void;
  private rendered: Versions = { run: -1, findings: -1, data: -1 };
  private chartsDrawnAt = -Infinity;
  private chartsVersion = -1;
  /** Render passes so far; read by the benchmark. */
  frames = 0;

  /** Nothing left to draw (the browser tests wait for this after sending messages). */
  get idle(): boolean {
    return !this.scheduler.pending && !this.charts.pending;
  }

  constructor(
    root: HTMLElement,
    host: PanelHost,
  ) {
    const post = host.postMessage.bind(host);
    this.header = new HeaderView(post);
    this.findings = new FindingsView(post);
    this.charts = new ChartsView();
    this.layers = new LayerTableView(post);
    this.charts.onHistogramLayer = (position) => {
      this.store.select(position);
      this.charts.render(this.store);
    };
    this.charts.onShown = () => {
      this.chartsVersion = -1;
      this.scheduler.request();
    };
    this.pictures = new PicturesView(
      (position) => {
        this.store.select(position);
        this.scheduler.request();
      },
      () => this.pictures.render(this.store),
    );
    // the channels view (conv layers): picking a layer there selects it everywhere
    this.channels.onSelect = (position) => {
      this.store.select(position);
      this.scheduler.request();
    };
    this.channels.onChange = () => this.channels.render(this.store);
    this.live = el('div', { class: 'live' }, this.findings.root, this.charts.root, this.pictures.root, this.channels.root, this.compare.root, this.layers.root);
    root.replaceChildren(this.header.root, this.status.root, this.live);
    const save = () => host.setState(serializeStore(this.store));
    this.saveSoon = throttle(save, 0);
    this.saveWhileStreaming = throttle(save, SAVE_WHILE_STREAMING_MS);
    restoreStore(this.store, host.getState());
    // VS Code switches themes by rewriting the variables on <html> and the theme class/id on <body>.
    const themeChanged = new MutationObserver(() => {
      this.charts.retheme();
      this.pictures.retheme();
      this.channels.retheme();
      this.compare.retheme();
      this.chartsVersion = -1;
      this.scheduler.request();
    });
    themeChanged.observe(document.body, { attributes: true, attributeFilter: ['class', 'data-vscode-theme-id'] });
    themeChanged.observe(document.documentElement, { attributes: true, attributeFilter: ['style'] });
    window.addEventListener('message', (event: MessageEvent) => this.receive(event.data));
    this.render();
    host.postMessage({ type: 'ready' });
  }

  receive(data: unknown): void {
    const msg = decodeNumbers(data);
    if (!isToWebview(msg)) {
      console.warn('NN Debugger panel: ignored a message that does not match the protocol');
      return;
    }
    this.store.apply(msg);
    this.scheduler.request();
    if (msg.type === 'progress') this.saveWhileStreaming();
    else this.saveSoon();
  }

  private render(): void {
    const v = this.store.versions;
    if (v.run !== this.rendered.run) {
      this.header.render(this.store);
      this.compare.render(this.store);
      // A run that fails midway keeps its charts: they show what led to the failure.
      const status = this.status.render(this.store);
      const run = this.store.current;
      const hidden = !(status === 'live' || (status === 'error' && run !== null && run.probes + run.loss.points.length > 0));
      if (this.live.hidden && !hidden) this.charts.forgetVisibility();
      this.live.hidden = hidden;
    }
    if (v.findings !== this.rendered.findings) this.findings.render(this.store);
    if (v.data !== this.rendered.data || v.findings !== this.rendered.findings) this.layers.render(this.store);
    const chartsVersion = v.data + v.findings;
    if (chartsVersion !== this.chartsVersion && !this.live.hidden) {
      const now = performance.now();
      if (now - this.chartsDrawnAt >= CHART_INTERVAL_MS && !this.charts.pending) {
        this.charts.invalidate(this.store);
        this.pictures.render(this.store);
        this.channels.render(this.store);
        this.chartsDrawnAt = now;
        this.chartsVersion = chartsVersion;
      } else {
        this.scheduler.request(); // draw the newest data on a later frame
      }
    }
    if (this.charts.pending) {
      this.charts.drawNext();
      if (this.charts.pending) this.scheduler.request();
    }
    this.rendered = { ...v };
    this.frames++;
  }
}
