/**
 * The measuring switch of a scanq process (`SCANQ_CALL_STATS=<file>`): counts every AWS request
 * by service and operation, the faults injected into them, the DynamoDB capacity they consumed,
 * and the process's CPU and memory, and keeps a JSON snapshot of it all in `<file>` — rewritten
 * every second (so a SIGKILLed process leaves its last second behind) and once more on exit.
 * The benchmark and the chaos run read these files; nothing else depends on them.
 */
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import type { ClientMiddleware } from '../../src/aws/index.js';
import { INDEX_SHARE } from '../bench/cost.js';
import { CallCounter, countingMiddleware } from './call-counter.js';
import { InjectedFaultError } from './faults.js';

/** What a process wrote: counts since it attached the switch (not since it started). */
export interface CallStatsSnapshot {
  readonly v: 1;
  readonly pid: number;
  /** The `scanq` command (`worker`, `sweeper`, …). */
  readonly command: string;
  readonly writtenAt: string;
  /** True for the snapshot written on exit (a graceful stop); false for the periodic ones. */
  readonly final: boolean;
  /** Requests (HTTP attempts, retries included) keyed `Service.Operation`. */
  readonly calls: Readonly<Record<string, number>>;
  /** Injected faults (fault-injection middleware) keyed `Service.Operation`. */
  readonly faults: Readonly<Record<string, number>>;
  /**
   * DynamoDB capacity units the endpoint reported (`ReturnConsumedCapacity: INDEXES`), keyed by
   * operation (table plus every index) and `{operation} (indexes)` (the indexes' share). Empty when
   * the endpoint does not report capacity.
   */
  readonly capacity: Readonly<Record<string, number>>;
  /** CPU time used since the switch was attached, in ms. */
  readonly cpuMs: { readonly user: number; readonly system: number };
  /** Peak resident set size of the process, in KB (`process.resourceUsage().maxRSS`). */
  readonly maxRssKb: number;
  /** Resident set size when written, in KB. */
  readonly rssKb: number;
  /** V8 heap in use and reserved, and memory outside it (buffers), when written, in KB. */
  readonly heapKb: { readonly used: number; readonly total: number; readonly external: number };
  /** Extra counters the command registered (a worker adds its job counts). */
  readonly extra: Readonly<Record<string, Readonly<Record<string, number>>>>;
}

/** DynamoDB operations that can return `ConsumedCapacity`. */
const CAPACITY_OPERATIONS = new Set([
  'PutItem',
  'UpdateItem',
  'DeleteItem',
  'GetItem',
  'BatchWriteItem',
  'BatchGetItem',
  'Query',
  'Scan',
  'TransactWriteItems',
  'TransactGetItems',
]);

function add(map: Map<string, number>, key: string, n: number): void {
  map.set(key, (map.get(key) ?? 0) + n);
}

function sorted(map: Map<string, number>): Record<string, number> {
  return Object.fromEntries([...map.entries()].sort(([a], [b]) => a.localeCompare(b)));
}

/**
 * Sums a `ConsumedCapacity` (one object, or one per table for batches): all units, and the part
 * spent on secondary indexes (absent when the endpoint does not itemize them, as moto does not).
 */
export function capacityUnits(consumed: unknown): { total: number; indexes: number } {
  const list = Array.isArray(consumed) ? consumed : consumed ? [consumed] : [];
  let total = 0;
  let indexes = 0;
  for (const entry of list as Record<string, unknown>[]) {
    if (typeof entry.CapacityUnits === 'number') total += entry.CapacityUnits;
    for (const group of [entry.GlobalSecondaryIndexes, entry.LocalSecondaryIndexes]) {
      for (const index of Object.values((group ?? {}) as Record<string, { CapacityUnits?: unknown }>)) {
        if (typeof index.CapacityUnits === 'number') indexes += index.CapacityUnits;
      }
    }
  }
  return { total, indexes };
}

/** Counts injected faults; sits between the call counter (outer) and the fault injector (inner). */
function faultTally(faults: Map<string, number>): ClientMiddleware {
  return {
    applyTo(stack) {
      stack.add(
        (next, context) => async (args) => {
          try {
            return await next(args);
          } catch (error) {
            if (error instanceof InjectedFaultError) {
              const service = (context.clientName ?? 'Unknown').replace(/Client$/, '');
              add(faults, `${service}.${(context.commandName ?? 'Unknown').replace(/Command$/, '')}`, 1);
            }
            throw error;
          }
        },
        { step: 'deserialize', name: 'scanqFaultTally', priority: 'normal' },
      );
    },
  };
}

/**
 * Asks DynamoDB for the capacity each request consumed and adds it up per operation. The flag
 * changes nothing but the response, so the engine's behaviour is the same with the switch on.
 */
function capacityMeter(capacity: Map<string, number>): ClientMiddleware {
  return {
    applyTo(stack, service) {
      if (service !== 'dynamodb') return;
      stack.add(
        (next, context) => async (args) => {
          const operation = (context.commandName ?? '').replace(/Command$/, '');
          if (!CAPACITY_OPERATIONS.has(operation)) return next(args);
          const input = { ReturnConsumedCapacity: 'INDEXES', ...(args.input as object) };
          const result = await next({ ...args, input: input as typeof args.input });
          const units = capacityUnits((result.output as { ConsumedCapacity?: unknown }).ConsumedCapacity);
          if (units.total > 0) add(capacity, operation, units.total);
          if (units.indexes > 0) add(capacity, `${operation}${INDEX_SHARE}`, units.indexes);
          return result;
        },
        { step: 'initialize', name: 'scanqCapacityMeter', priority: 'low' },
      );
    },
  };
}

/** What a meter saw so far: requests, injected faults and DynamoDB capacity. */
export interface MeterReading {
  readonly calls: Record<string, number>;
  readonly faults: Record<string, number>;
  readonly capacity: Record<string, number>;
}

/** Counts requests, injected faults and DynamoDB capacity of the clients it is given to. */
export interface Meter {
  readonly counter: CallCounter;
  /** Pass to `createAwsClients(config, { middleware })`. */
  readonly middleware: readonly ClientMiddleware[];
  read(): MeterReading;
  reset(): void;
}

/** A meter: the call counter, the fault tally and the DynamoDB capacity meter, as client middleware. */
export function createMeter(): Meter {
  const counter = new CallCounter();
  const faults = new Map<string, number>();
  const capacity = new Map<string, number>();
  return {
    counter,
    middleware: [countingMiddleware(counter), faultTally(faults), capacityMeter(capacity)],
    read: () => ({ calls: counter.snapshot(), faults: sorted(faults), capacity: sorted(capacity) }),
    reset: () => {
      counter.reset();
      faults.clear();
      capacity.clear();
    },
  };
}

/** A running switch: snapshots on demand, registers extra counters. */
export interface CallStats {
  readonly meter: Meter;
  /** Adds a named group of counters (read at every write). */
  include(name: string, read: () => Readonly<Record<string, number>>): void;
  snapshot(final?: boolean): CallStatsSnapshot;
  /** Writes the snapshot now (atomically: a reader never sees half a file). */
  write(final?: boolean): void;
}

/**
 * Starts the switch of a process: its meter's middleware goes to every client the process creates;
 * writes `file` every `everyMs` (default 1 s) and on exit.
 */
export function startCallStats(options: { file: string; command: string; everyMs?: number }): CallStats {
  const meter = createMeter();
  const extras = new Map<string, () => Readonly<Record<string, number>>>();
  const cpuStart = process.cpuUsage();
  const snapshot = (final = false): CallStatsSnapshot => {
    const cpu = process.cpuUsage(cpuStart);
    return {
      v: 1,
      pid: process.pid,
      command: options.command,
      writtenAt: new Date().toISOString(),
      final,
      ...meter.read(),
      cpuMs: { user: cpu.user / 1000, system: cpu.system / 1000 },
      maxRssKb: process.resourceUsage().maxRSS,
      rssKb: Math.round(process.memoryUsage.rss() / 1024),
      heapKb: heapKb(),
      extra: Object.fromEntries([...extras.entries()].map(([name, read]) => [name, { ...read() }])),
    };
  };
  const write = (final = false) => {
    const tmp = `${options.file}.${process.pid}.tmp`;
    writeFileSync(tmp, JSON.stringify(snapshot(final)));
    renameSync(tmp, options.file);
  };
  const timer = setInterval(() => write(false), options.everyMs ?? 1_000);
  timer.unref();
  process.once('exit', () => {
    clearInterval(timer);
    write(true);
  });
  write(false);
  return {
    meter,
    include: (name, read) => {
      extras.set(name, read);
    },
    snapshot,
    write,
  };
}

function heapKb() {
  const m = process.memoryUsage();
  return {
    used: Math.round(m.heapUsed / 1024),
    total: Math.round(m.heapTotal / 1024),
    external: Math.round(m.external / 1024),
  };
}

/** Reads a snapshot a process wrote; undefined when there is none (yet) or it is not one. */
export function readCallStats(file: string): CallStatsSnapshot | undefined {
  try {
    const parsed = JSON.parse(readFileSync(file, 'utf8')) as Partial<CallStatsSnapshot>;
    return parsed.v === 1 && typeof parsed.calls === 'object' ? (parsed as CallStatsSnapshot) : undefined;
  } catch {
    return undefined;
  }
}
