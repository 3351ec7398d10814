/** The state of one piece of I/O, as every store reports it. */
export type IoState = 'idle' | 'running' | 'done' | 'error';
