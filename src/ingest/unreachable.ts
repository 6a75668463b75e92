/**
 * The default branch of an exhaustive `switch` over a state union: the compiler rejects the call
 * when a state is left unhandled, and at run time it throws instead of carrying on in a state the
 * code does not know.
 */
export function unreachable(value: never, what: string): never {
  throw new Error(`unknown ${what} ${JSON.stringify(value)}`);
}
