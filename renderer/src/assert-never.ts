/** Exhaustiveness check for `switch` over unions (the renderer cannot load engine code). */
export function assertNever(value: never): never {
  throw new Error(`Unexpected value: ${JSON.stringify(value)}`);
}
