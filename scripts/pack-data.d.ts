// Types for pack-data.js (CommonJS, shared by esbuild.js and the engine's MNIST loader).
export declare const FILE_NAME: string;
export declare function packData(outDir: string): string;
export declare function unpackData(gz: Uint8Array): { count: number; rows: number; cols: number; labels: Uint8Array; pixels: Uint8Array };
