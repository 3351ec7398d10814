/**
 * The data Twinlock works with, as zod schemas (validated at every boundary) and the types
 * inferred from them. Models are plain data: no classes, no I/O. One file per area of the engine.
 */
export * from './values';
export * from './discovery';
export * from './remote';
export * from './inventory';
export * from './verify';
export * from './install';
export * from './pair';
export * from './bundle';
export * from './trust';
export * from './errors';
export * from './plan';
export * from './prove';
export * from './drift';
export * from './fleet';
export * from './draft';
export * from './cluster';
