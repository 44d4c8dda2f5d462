// Entry of the Gradient Health panel (bundled by esbuild.js into dist/webview.js and dist/webview.css).
import '@vscode-elements/elements/dist/vscode-badge/index.js';
import '@vscode-elements/elements/dist/vscode-button/index.js';
import '@vscode-elements/elements/dist/vscode-checkbox/index.js';
import '@vscode-elements/elements/dist/vscode-progress-ring/index.js';
import './panel.css';
import { PanelApp } from './app';
import { byId } from './dom';
import { connectHost } from './vscode-api';

const app = new PanelApp(byId('root'), connectHost());
// The benchmark and the browser tests read the frame counter; nothing else uses this handle.
(window as unknown as { nnPanel: PanelApp }).nnPanel = app;
