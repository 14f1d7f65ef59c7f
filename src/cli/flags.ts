import { InvalidArgumentError } from 'commander';

/**
 * The one parser of numeric CLI flags, for commander's `.option(…, parser)`. A bad value throws
 * commander's `InvalidArgumentError`, which the program turns into one usage line and exit 2
 * (`program.ts`), never a stack.
 *
 * @param name - the flag as the user types it (`--concurrency`), named in the message
 * @param min - the smallest value allowed
 * @param max - the largest value allowed
 */
export function wholeNumber(name: string, min: number, max: number): (value: string) => number {
  return (value: string): number => {
    const n = Number(value);
    if (!/^\d+$/.test(value.trim()) || n < min || n > max)
      throw new InvalidArgumentError(`${name} must be a whole number from ${min} to ${max}`);
    return n;
  };
}

/** A whole number from 1 to `max` (`--workers 0`, `--chunk abc` refused). */
export function positiveInt(name: string, max: number): (value: string) => number {
  return wholeNumber(name, 1, max);
}

/** A share from 0 to 1 (`--fault-rate 0.05`). */
export function share(name: string): (value: string) => number {
  return (value: string): number => {
    const n = Number(value);
    if (!/^\d*\.?\d+$/.test(value.trim()) || n < 0 || n > 1)
      throw new InvalidArgumentError(`${name} must be a number from 0 to 1`);
    return n;
  };
}
