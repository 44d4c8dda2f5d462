// Tiny DOM builder. User-supplied strings (layer names, paths, messages) only ever go through
// `textContent`, never through innerHTML, so hostile names render as text.
type Attrs = Record<string, string | boolean | undefined>;

export function el<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs?: Attrs,
  ...children: (Node | string | null)[]
): HTMLElementTagNameMap[K];
export function el(tag: string, attrs?: Attrs, ...children: (Node | string | null)[]): HTMLElement;
export function el(tag: string, attrs: Attrs = {}, ...children: (Node | string | null)[]): HTMLElement {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === undefined || value === false) continue;
    node.setAttribute(name, value === true ? '' : value);
  }
  for (const child of children) {
    if (child === null) continue;
    node.append(typeof child === 'string' ? document.createTextNode(child) : child);
  }
  return node;
}

/** Sets text only when it changed, so live updates do not disturb screen readers or selection. */
export function setText(node: Node, text: string): void {
  if (node.textContent !== text) node.textContent = text;
}

export function byId<T extends HTMLElement = HTMLElement>(id: string): T {
  const node = document.getElementById(id);
  if (!node) throw new Error(`panel markup is missing #${id}`);
  return node as T;
}
