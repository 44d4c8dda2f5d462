// A bump allocator over one shared WebAssembly memory. Shared memory matters: growing it never detaches
// existing views (a plain memory would invalidate every Float32Array handed out), so layers can keep
// weights, gradients and activations here for the whole run and the wasm kernels read them in place.
const PAGE = 65536;
const MAX_PAGES = 16384; // 1 GiB address space, reserved lazily by the engine
const ALIGN = 16; // v128 alignment

export class WasmHeap {
  readonly memory: WebAssembly.Memory;
  private top = ALIGN; // keep 0 as a null pointer
  private readonly owned = new Set<ArrayBufferLike>();
  /**
   * Float32 view over the whole memory, refreshed after each growth. Every view handed out is built on its
   * buffer object rather than on `memory.buffer`: once other threads share the memory, V8 can hand out a new
   * buffer object for the same memory at any time, and `owns` recognises buffers by identity.
   */
  f32: Float32Array;

  constructor(initialPages = 64) {
    this.memory = new WebAssembly.Memory({ initial: initialPages, maximum: MAX_PAGES, shared: true });
    this.f32 = this.refresh();
  }

  /** Bytes still free for allocation before the memory reaches its maximum (nothing is ever freed). */
  get remainingBytes(): number {
    return MAX_PAGES * PAGE - this.top;
  }

  /** Reserves `bytes` (16-byte aligned) and returns the byte address. Never moves earlier allocations; throws a RangeError when memory is exhausted. */
  alloc(bytes: number): number {
    const ptr = this.top;
    const end = ptr + Math.ceil(bytes / ALIGN) * ALIGN;
    const have = this.f32.buffer.byteLength;
    if (end > have) {
      const pages = Math.ceil((end - have) / PAGE);
      if (have / PAGE + pages > MAX_PAGES) throw new RangeError(`wasm kernel memory exhausted (${MAX_PAGES / 16} MiB)`);
      // Grow at least by doubling (bounded by the maximum) so growth steps stay rare.
      this.memory.grow(Math.max(pages, Math.min(have / PAGE, MAX_PAGES - have / PAGE)));
      this.f32 = this.refresh();
    }
    this.top = end;
    return ptr;
  }

  /** A Float32Array living in wasm memory (kernels use it without copying); zero, as the allocator never reuses memory. */
  allocFloat32(length: number): Float32Array {
    const ptr = this.alloc(length * 4);
    return new Float32Array(this.f32.buffer, ptr, length);
  }

  /** An Int32Array living in wasm memory (index lists the kernels read in place). */
  allocInt32(length: number): Int32Array {
    const ptr = this.alloc(length * 4);
    return new Int32Array(this.f32.buffer, ptr, length);
  }

  /** True when `arr` is a 32-bit view of this memory, so its byteOffset is its wasm address. */
  owns(arr: Float32Array | Float64Array | Int32Array): boolean {
    return (arr instanceof Float32Array || arr instanceof Int32Array) && this.owned.has(arr.buffer);
  }

  private refresh(): Float32Array {
    const buffer = this.memory.buffer;
    this.owned.add(buffer);
    return new Float32Array(buffer);
  }
}

/** A reusable region of the heap that grows (by reallocation, doubling) when a call needs more room. */
export class HeapScratch {
  private ptr = 0;
  private capacity = 0;
  constructor(private readonly heap: WasmHeap) {}

  /** Bytes the region holds now (at least the last `ensure`d size). */
  get capacityBytes(): number {
    return this.capacity;
  }

  ensure(bytes: number): number {
    if (bytes > this.capacity) {
      this.capacity = Math.max(bytes, this.capacity * 2, 4096);
      this.ptr = this.heap.alloc(this.capacity);
    }
    return this.ptr;
  }
}
