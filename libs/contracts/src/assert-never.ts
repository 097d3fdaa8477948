/** Exhaustiveness check: the compiler proves every case is handled; at run time an unknown value throws. */
export const assertNever = (value: never, what = 'value'): never => {
  throw new Error(`unexpected ${what}: ${JSON.stringify(value)}`);
};
