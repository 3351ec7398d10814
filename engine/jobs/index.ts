/** Long operations as jobs: snapshots, throttled events, cancel. */
export { createJobRunner } from './job-runner';
export type { JobJournal, JobRunner, JobRunnerOptions } from './job-runner';
export type { JobContext, JobWork } from './types';
