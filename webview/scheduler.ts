// Coalesces redraw requests into one per animation frame: a burst of messages costs one render, and a
// hidden panel (no frames) costs nothing until it is shown again.
export class FrameScheduler {
  private waiting = false;

  constructor(private readonly render: () => void) {}

  /** A frame is requested and has not run yet. */
  get pending(): boolean {
    return this.waiting;
  }

  request(): void {
    if (this.waiting) return;
    this.waiting = true;
    requestAnimationFrame(() => {
      this.waiting = false;
      this.render();
    });
  }
}

/** Runs `fn` at most once per `ms`, trailing, for work that need not follow every frame (saving state). */
export function throttle(fn: () => void, ms: number): () => void {
  let timer: ReturnType<typeof setTimeout> | null = null;
  return () => {
    if (timer !== null) return;
    timer = setTimeout(() => {
      timer = null;
      fn();
    }, ms);
  };
}
