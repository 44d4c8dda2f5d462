// The engine's data types: what leaves the engine is the wire's (src/shared/wire-types.ts); the typed arrays
// the kernels work on stay here.
export type * from '../shared/wire-types';

export type FloatArray = Float32Array | Float64Array;
