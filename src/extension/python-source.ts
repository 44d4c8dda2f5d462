// Where a watched PyTorch layer is defined in its Python file: `self.fc1 = nn.Linear(...)` for the layer
// `fc1`, `self.layers = nn.Sequential(...)` for `layers.0`, a plain `fc1 = nn.Linear(...)` otherwise.

/** The 0-based line defining the module of a watched layer name, or null when the text has none. */
export function definitionLine(text: string, layerName: string): number | null {
  const head = layerName.replace(/#\d+$/, '').split('.')[0];
  if (!/^[A-Za-z_]\w*$/.test(head)) return null;
  const patterns = [new RegExp(`^\\s*self\\.${head}\\s*(?::[^=]+)?=(?!=)`), new RegExp(`^\\s*${head}\\s*(?::[^=]+)?=(?!=)`)];
  const lines = text.split('\n');
  for (const pattern of patterns) {
    const at = lines.findIndex((l) => pattern.test(l));
    if (at >= 0) return at;
  }
  return null;
}
