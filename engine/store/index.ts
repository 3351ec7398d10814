/** Atomic files in the admin's data folder. */
export { resolveDataDir } from './data-dir';
export { readJsonFile, writeFileAtomic, writeJsonFile } from './atomic-file';
export type { WriteFileAtomicOptions } from './atomic-file';
export { updateJsonFile, withFileLock } from './locked-json';
