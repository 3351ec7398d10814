/** The engine's public contract. Shells import from here and nowhere else in engine/. */
export * from './errors';
export * from './rules';
export * from './models';
export * from './jobs';
export * from './contract';
export * from './wire';
