// The panel's HTML shell: a strict CSP with a fresh nonce, nothing inline, every interpolated value escaped.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createNonce, renderPanelHtml } from '../../src/extension/panel-html';

const base = { cspSource: "'self' https://*.vscode-cdn.net", scriptUri: 'https://file+.vscode-resource.vscode-cdn.net/ext/dist/webview.js', styleUri: 'https://file+.vscode-resource.vscode-cdn.net/ext/dist/webview.css' };

function csp(html: string): string {
  const m = /<meta http-equiv="Content-Security-Policy" content="([^"]+)">/.exec(html);
  assert.ok(m, 'the page has a CSP meta tag');
  return m[1]!.replace(/&#39;/g, "'");
}

test('the CSP denies by default and allows scripts only with the nonce, styles only from the webview', () => {
  const nonce = createNonce();
  const html = renderPanelHtml({ ...base, nonce });
  const policy = csp(html);
  const directives = new Map(policy.split(';').map((d) => { const [name, ...rest] = d.trim().split(/\s+/); return [name!, rest.join(' ')]; }));
  assert.equal(directives.get('default-src'), "'none'");
  assert.equal(directives.get('script-src'), `'nonce-${nonce}'`);
  assert.equal(directives.get('style-src'), base.cspSource);
  assert.equal(directives.get('img-src'), `${base.cspSource} data:`);
  assert.doesNotMatch(policy, /unsafe-inline|unsafe-eval|\*\s*;|https?:\s/);
  // Exactly one script, carrying the nonce and loading the bundle; no inline script or style at all.
  const scripts = [...html.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script>/g)];
  assert.equal(scripts.length, 1);
  assert.match(scripts[0]![1]!, new RegExp(`nonce="${nonce}"`));
  assert.match(scripts[0]![1]!, /src="https:\/\/file\+\.vscode-resource\.vscode-cdn\.net\/ext\/dist\/webview\.js"/);
  assert.equal(scripts[0]![2], '');
  assert.doesNotMatch(html, /<style|style="/);
  assert.match(html, /<link rel="stylesheet" href="https:\/\/file\+\.vscode-resource\.vscode-cdn\.net\/ext\/dist\/webview\.css">/);
});

test('nonces are fresh, long and base64url', () => {
  const nonces = new Set(Array.from({ length: 200 }, () => createNonce()));
  assert.equal(nonces.size, 200);
  for (const n of nonces) assert.match(n, /^[A-Za-z0-9_-]{22}$/);
});

test('interpolated values are escaped and bad inputs are refused', () => {
  const html = renderPanelHtml({ ...base, nonce: createNonce(), title: '</title><script>alert(1)</script>' });
  assert.doesNotMatch(html, /<script>alert/);
  assert.match(html, /&lt;\/title&gt;&lt;script&gt;alert\(1\)&lt;\/script&gt;/);
  assert.throws(() => renderPanelHtml({ ...base, nonce: 'short' }), /nonce/);
  assert.throws(() => renderPanelHtml({ ...base, nonce: createNonce(), cspSource: "'self'; script-src *" }), /cspSource/);
});
