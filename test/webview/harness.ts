// Loads the real panel (the HTML from renderPanelHtml, the bundled dist/webview.js and .css) into headless
// Debian Chromium from a local server, with a stubbed acquireVsCodeApi that records posted messages and
// state, listeners for CSP violations and console errors, and VS Code's theme variables.
import { build } from 'esbuild';
import assert from 'node:assert/strict';
import { after, before } from 'node:test';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync } from 'fs';
import { createServer, type Server } from 'http';
import type { AddressInfo } from 'net';
import { join, resolve, sep } from 'path';
import type { Browser, Page } from 'playwright-core';
import { createNonce, renderPanelHtml } from '../../src/extension/panel-html';
import { THEMES, type ThemeName } from './themes';
import { launchBrowser } from '../harness/system-deps.mjs';

export const ROOT = resolve(__dirname, '..', '..');
const DIST = join(ROOT, 'dist');
export const RESULTS = join(ROOT, 'test-results');

function newestMtime(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestMtime(p) : statSync(p).mtimeMs);
  }
  return newest;
}

/** Builds the panel bundle when it is missing or older than its sources (same options as esbuild.js's webview entry). */
export async function ensureWebviewBuilt(): Promise<void> {
  const out = join(DIST, 'webview.js');
  // The bundle's sources: the panel and the shared core (protocol, formatting, history policy) it imports.
  const sources = Math.max(newestMtime(join(ROOT, 'webview')), newestMtime(join(ROOT, 'src', 'shared')));
  if (existsSync(out) && existsSync(join(DIST, 'webview.css')) && statSync(out).mtimeMs >= sources) return;
  await build({
    absWorkingDir: ROOT,
    bundle: true,
    sourcemap: true,
    sourcesContent: false,
    legalComments: 'none',
    logLevel: 'warning',
    entryPoints: { webview: 'webview/main.ts' },
    outdir: 'dist',
    platform: 'browser',
    format: 'iife',
    target: 'es2022',
    loader: { '.css': 'css', '.ttf': 'file' },
  });
}

export interface PanelServer {
  origin: string;
  /** Every path the page asked for, to prove hostile markup loaded nothing. */
  requests: string[];
  close(): Promise<void>;
}

const TYPES: Record<string, string> = { '.js': 'text/javascript', '.css': 'text/css', '.map': 'application/json', '.ttf': 'font/ttf' };

export async function startServer(): Promise<PanelServer> {
  const requests: string[] = [];
  let origin = '';
  const server: Server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://127.0.0.1').pathname;
    requests.push(path);
    if (path === '/favicon.ico') {
      res.writeHead(204).end(); // Chromium asks on its own; VS Code's webviews never do
      return;
    }
    if (path === '/') {
      const html = renderPanelHtml({ cspSource: origin, scriptUri: `${origin}/dist/webview.js`, styleUri: `${origin}/dist/webview.css`, nonce: createNonce(), title: 'Gradient Health' });
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(html);
      return;
    }
    const file = resolve(DIST, `.${path.replace(/^\/dist\//, '/')}`);
    const ext = file.slice(file.lastIndexOf('.'));
    if (path.startsWith('/dist/') && file.startsWith(DIST + sep) && existsSync(file) && TYPES[ext]) {
      res.writeHead(200, { 'content-type': TYPES[ext]! }).end(readFileSync(file));
      return;
    }
    res.writeHead(404).end();
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { origin, requests, close: () => new Promise<void>((ok) => server.close(() => ok())) };
}


export interface PanelPage {
  page: Page;
  /** CSP violations, console errors and uncaught exceptions seen so far. */
  problems: string[];
  posted(): Promise<unknown[]>;
  state(): Promise<unknown>;
  /** Posts messages as the extension would (JSON-encoded objects) and waits until the panel has drawn them. */
  send(messages: unknown[]): Promise<void>;
  /** Switches the theme live, as VS Code does (variables on <html>, the class on <body>), and waits until the panel has redrawn. */
  switchTheme(theme: ThemeName): Promise<void>;
  close(): Promise<void>;
}

/** Charts redraw only on screen: the default viewport is tall enough to show them all at once. */
export async function openPanel(browser: Browser, origin: string, opts: { theme?: ThemeName; state?: unknown; width?: number; height?: number } = {}): Promise<PanelPage> {
  const theme = THEMES[opts.theme ?? 'dark'];
  const page = await browser.newPage({ viewport: { width: opts.width ?? 1280, height: opts.height ?? 1800 } });
  const problems: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error') problems.push(`console error: ${m.text()}`);
  });
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  // tsx compiles this file with keepNames, which wraps functions in __name(): give the page that helper.
  await page.addInitScript({ content: 'window.__name = (fn) => fn;' });
  await page.exposeFunction('__reportViolation', (text: string) => problems.push(`CSP violation: ${text}`));
  await page.addInitScript(
    ({ initialState, vars, bodyClass }) => {
      const w = window as unknown as Record<string, unknown>;
      let state = initialState;
      let acquired = false;
      const posted: unknown[] = [];
      w.__posted = posted;
      w.__getState = () => state;
      w.acquireVsCodeApi = () => {
        if (acquired) throw new Error('An instance of the VS Code API has already been acquired');
        acquired = true;
        return {
          postMessage: (m: unknown) => posted.push(JSON.parse(JSON.stringify(m))),
          getState: () => state,
          setState: (s: unknown) => {
            state = JSON.parse(JSON.stringify(s));
          },
        };
      };
      document.addEventListener('securitypolicyviolation', (e) => {
        (w.__reportViolation as (t: string) => void)(`${e.violatedDirective} blocked ${e.blockedURI} (${e.sourceFile}:${e.lineNumber})`);
      });
      // Init scripts run before <html> exists: theme the elements as the parser creates them, as VS Code
      // does (variables on <html>, the theme class on <body>).
      let themedRoot = false;
      const theme = (observer?: MutationObserver) => {
        if (!themedRoot && document.documentElement) {
          for (const [k, v] of Object.entries(vars)) document.documentElement.style.setProperty(k, v);
          themedRoot = true;
        }
        if (!document.body) return;
        document.body.className = bodyClass;
        document.body.dataset.vscodeThemeKind = bodyClass;
        observer?.disconnect();
      };
      new MutationObserver((_, observer) => theme(observer)).observe(document, { childList: true, subtree: true });
    },
    { initialState: opts.state ?? null, vars: theme.vars, bodyClass: theme.bodyClass },
  );
  await page.goto(`${origin}/`);
  await page.waitForFunction(() => (window as unknown as { nnPanel?: unknown }).nnPanel !== undefined);
  const settle = () => page.evaluate(() => new Promise((ok) => requestAnimationFrame(() => requestAnimationFrame(ok))));
  await settle();
  const send = async (messages: unknown[]) => {
    await page.evaluate((msgs) => {
      for (const m of msgs) window.postMessage(m, '*');
    }, messages);
    // Messages are delivered as tasks; a timer after them runs once all were handled. Charts may then
    // wait out their redraw interval: wait until the panel has nothing left to draw.
    await page.evaluate(() => new Promise((ok) => setTimeout(ok, 0)));
    await page.waitForFunction(() => (window as unknown as { nnPanel: { idle: boolean } }).nnPanel.idle, null, { timeout: 10_000 });
    await settle();
  };
  return {
    page,
    problems,
    posted: () => page.evaluate(() => (window as unknown as { __posted: unknown[] }).__posted),
    state: () => page.evaluate(() => (window as unknown as { __getState: () => unknown }).__getState()),
    send,
    async switchTheme(name) {
      const { vars, bodyClass } = THEMES[name];
      await page.evaluate(({ vars, bodyClass }) => {
        for (const [k, v] of Object.entries(vars)) document.documentElement.style.setProperty(k, v);
        document.body.className = bodyClass;
      }, { vars, bodyClass });
      await send([]);
    },
    close: () => page.close(),
  };
}

/** Pixels of `canvas` within `tolerance` of the colour `css` (any CSS colour), counted in the page. */
export function countColourPixels(page: Page, canvasId: string, css: string, tolerance = 40): Promise<{ total: number; matching: number; painted: number }> {
  return page.evaluate(
    ({ canvasId, css, tolerance }) => {
      const probe = document.createElement('canvas').getContext('2d')!;
      probe.fillStyle = css;
      probe.fillRect(0, 0, 1, 1);
      const [r, g, b] = probe.getImageData(0, 0, 1, 1).data;
      const canvas = document.getElementById(canvasId) as HTMLCanvasElement | null;
      if (!canvas || canvas.width === 0 || canvas.height === 0) return { total: 0, matching: 0, painted: 0 };
      const data = canvas.getContext('2d')!.getImageData(0, 0, canvas.width, canvas.height).data;
      let matching = 0;
      let painted = 0;
      for (let i = 0; i < data.length; i += 4) {
        if (data[i + 3]! > 0) painted++;
        if (data[i + 3]! > 200 && Math.abs(data[i]! - r!) + Math.abs(data[i + 1]! - g!) + Math.abs(data[i + 2]! - b!) <= tolerance) matching++;
      }
      return { total: data.length / 4, matching, painted };
    },
    { canvasId, css, tolerance },
  );
}

/** `broken-run.json` is synthetic (hostile names, NaN/Infinity on cue); `real-run.json` is recorded from the engine. */
export function loadFixture(name: 'broken-run' | 'real-run' = 'broken-run'): { source: string; runs: unknown[][] } {
  return JSON.parse(readFileSync(join(__dirname, 'fixtures', `${name}.json`), 'utf8'));
}

/**
 * For a browser test suite (call inside `describe`): builds the bundle, starts the panel server and the
 * browser before the tests and closes them after; `open` gives a fresh panel page. After the suite, no page
 * may have seen a CSP violation, a console error or an exception.
 */
export function panelPages(): { open(opts?: Parameters<typeof openPanel>[2]): Promise<PanelPage>; server(): PanelServer } {
  let server: PanelServer;
  let browser: Browser;
  const opened: PanelPage[] = [];
  before(async () => {
    await ensureWebviewBuilt();
    server = await startServer();
    browser = await launchBrowser();
    mkdirSync(RESULTS, { recursive: true });
  });
  after(async () => {
    const problems = opened.flatMap((p) => p.problems);
    await browser?.close();
    await server?.close();
    assert.deepEqual(problems, []);
  });
  return {
    async open(opts = {}) {
      const p = await openPanel(browser, server.origin, opts);
      opened.push(p);
      return p;
    },
    server: () => server,
  };
}
