// The Gradient Health panel's HTML, one pure function shared by the extension's panel host and the browser
// tests, so the page under test is the page users get. The CSP allows nothing by default: scripts only with
// this page's nonce, styles, images and fonts only from the webview's own resource origin (plus data:
// images), no inline script or style anywhere.
import { randomBytes } from 'crypto';

export interface PanelHtmlOptions {
  /** `webview.cspSource` */
  cspSource: string;
  /** Webview URI of dist/webview.js. */
  scriptUri: string;
  /** Webview URI of dist/webview.css. */
  styleUri: string;
  /** From `createNonce()`, fresh for every render. */
  nonce: string;
  title?: string;
}

/** A cryptographically random nonce for the script tag (base64url, 128 bits). */
export function createNonce(): string {
  return randomBytes(16).toString('base64url');
}

const escapeHtml = (s: string): string =>
  s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

export function renderPanelHtml(opts: PanelHtmlOptions): string {
  if (!/^[A-Za-z0-9+/_=-]{16,}$/.test(opts.nonce)) throw new Error('renderPanelHtml: the nonce must be at least 16 base64 characters (use createNonce())');
  // VS Code's cspSource is a source list such as "'self' https://*.vscode-cdn.net": spaces are fine, a directive separator is not.
  if (/[;,\r\n]/.test(opts.cspSource) || opts.cspSource.trim() === '') throw new Error('renderPanelHtml: cspSource must be a CSP source list (webview.cspSource)');
  const csp = [
    `default-src 'none'`,
    `script-src 'nonce-${opts.nonce}'`,
    `style-src ${opts.cspSource}`,
    `img-src ${opts.cspSource} data:`,
    `font-src ${opts.cspSource}`,
    `base-uri 'none'`,
    `form-action 'none'`,
  ].join('; ');
  const title = escapeHtml(opts.title ?? 'Gradient Health');
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${escapeHtml(csp)}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<title>${title}</title>
<link rel="stylesheet" href="${escapeHtml(opts.styleUri)}">
</head>
<body>
<main id="root" aria-label="${title}"><noscript>The Gradient Health panel needs JavaScript.</noscript></main>
<script nonce="${escapeHtml(opts.nonce)}" src="${escapeHtml(opts.scriptUri)}"></script>
</body>
</html>
`;
}
