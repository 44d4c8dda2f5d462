"""Writes c3-rgb-glyphs.csv: 3x10x10 colour images as raw 0-255 bytes (channel-major), one glyph per
image (vertical bar, horizontal bar or hollow square, class by shape not colour) in a random colour at a
random position on a dim noisy background. Run from this directory: python3 make-c3-rgb-glyphs.py"""
import numpy as np

rng = np.random.default_rng(2026)
C, H, W, N = 3, 10, 10, 600
rows = []
for i in range(N):
    k = i % 3
    img = rng.uniform(0, 40, size=(C, H, W))
    mask = np.zeros((H, W))
    size = rng.integers(4, 8)
    r, c = rng.integers(0, H - size + 1), rng.integers(0, W - size + 1)
    if k == 0:
        mask[r:r + size, c + size // 2] = 1
    elif k == 1:
        mask[r + size // 2, c:c + size] = 1
    else:
        mask[r:r + size, c] = mask[r:r + size, c + size - 1] = 1
        mask[r, c:c + size] = mask[r + size - 1, c:c + size] = 1
    colour = rng.uniform(120, 255, size=C) * (rng.uniform(size=C) < 0.7)
    if colour.max() == 0:
        colour[rng.integers(C)] = 200
    img = np.maximum(img, mask[None] * colour[:, None, None])
    rows.append(np.round(img).astype(int).reshape(-1).tolist() + [["vbar", "hbar", "square"][k]])
with open("c3-rgb-glyphs.csv", "w") as f:
    f.write(",".join([f"{ch}{y}_{x}" for ch in "rgb" for y in range(H) for x in range(W)] + ["glyph"]) + "\n")
    for row in rows:
        f.write(",".join(map(str, row)) + "\n")
