/** The shapes of a benchmark report (also its `--json` output). */
import type { Ceiling } from './ceiling.js';
import type { Cost } from './cost.js';
import type { Summary, Throughput } from './stats.js';

/** Options of `scanq bench`. */
export interface BenchOptions {
  /** Jobs per worker-count phase. Default 2000. */
  readonly jobs: number;
  /** Tenants the jobs are spread over. Default 4. */
  readonly tenants: number;
  /** Worker-process counts to measure. Default 1, 2, 4. */
  readonly workers: readonly number[];
  /** `--concurrency` of each worker. Default 16. */
  readonly concurrency: number;
  readonly profile: 'load' | 'default';
  readonly skipBaseline: boolean;
  /** Adds the long run (≥ 20,000 jobs through one worker, RSS sampled). */
  readonly long: boolean;
  /** Jobs of the long run. Default 20,000. */
  readonly longJobs: number;
  /** Trickle used for dwell at light load: jobs and jobs per second. Defaults 100 at 20/s. */
  readonly lightJobs: number;
  readonly lightRate: number;
  /**
   * Milliseconds every AWS call is held by a proxy before it reaches the emulator (the AWS-like
   * latency profile, tools/bench/latency.ts). Default 0: no proxy.
   */
  readonly latencyMs: number;
  /** Flood sizes of the fairness phase, one phase each. Default [2000]. */
  readonly floods: readonly number[];
}

/** Per-job resource use of a set of processes. */
export interface Usage {
  /** Requests per job keyed `Service.Operation` (retries included). */
  readonly callsPerJob: Readonly<Record<string, number>>;
  /** DynamoDB capacity units per job by operation (empty when not reported). */
  readonly capacityPerJob: Readonly<Record<string, number>>;
  readonly cost: Cost;
  readonly cpuMsPerJob: number;
  /** Highest peak RSS of one process, KB. */
  readonly peakRssKb: number;
}

/**
 * The workers' CPU of a phase in parts: start-up until every one listens, the prefilled jobs (per
 * job), the trickle that follows them (per job: one job at a time, nothing to batch with).
 */
export interface CpuSplit {
  readonly startupMs: number;
  readonly loadedMsPerJob: number;
  readonly lightMsPerJob: number;
}

/** One worker-count phase. */
export interface WorkerPhase {
  readonly workers: number;
  readonly concurrency: number;
  readonly jobs: number;
  readonly throughput: Throughput;
  /** Enqueue → claim while the queue was full (prefilled): mostly time waiting in line. */
  readonly dwellLoaded: Summary;
  /** Enqueue → claim of a trickle arriving at idle workers. */
  readonly dwellLight: Summary;
  /** Engine (workers) and producer together. */
  readonly usage: Usage;
  /** Workers only: what the measured window ran. */
  readonly workerCallsPerJob: Readonly<Record<string, number>>;
  /** Where the workers' CPU (`usage.cpuMsPerJob`) went, from `/proc` (absent elsewhere). */
  readonly cpuSplit?: CpuSplit;
  /** Messages deferred (tenant at its cap) per job. */
  readonly deferralsPerJob: number;
  /** Warning and error log lines of the workers, and the first one's message. */
  readonly warnings: { readonly count: number; readonly first?: string };
  /** Jobs/s the endpoints allow for the workers' calls per job, and the share reached. */
  readonly bound: { readonly jobsPerSecond: number; readonly limitedBy: string; readonly share: number };
  /**
   * The machine's own bound when the run started the emulators: all cores ÷ (worker CPU + emulator
   * CPU per job), and the share reached. Absent on an external endpoint or without `/proc`.
   */
  readonly machine?: {
    readonly emulatorCpuMsPerJob: number;
    readonly jobsPerSecond: number;
    readonly share: number;
  };
  /** Size (bytes, DynamoDB rules) of a finished job item, execution record included. */
  readonly itemBytes: { readonly job: number };
}

export interface BaselinePhase {
  readonly jobs: number;
  readonly throughput: Throughput;
  readonly usage: Usage;
  readonly errors: number;
}

/** Dwell in two parts (ms): the enqueue call, and its message from the queue to the claim. */
export interface DwellSplit {
  readonly enqueue: Summary;
  readonly queueToClaim: Summary;
}

export interface FairnessPhase {
  readonly workers: number;
  readonly floodJobs: number;
  readonly quietJobs: number;
  /** The lane budget of the phase's tenants (SCANQ_LANE_RATE, SCANQ_LANE_BURST). */
  readonly laneBudget: { readonly ratePerSecond: number; readonly burst: number };
  /** The quiet tenant's dwell with nobody else around. */
  readonly unloaded: Summary;
  /** The quiet tenant's dwell while the flood is being worked off. */
  readonly flooded: Summary;
  /** Each quiet dwell in two: until its enqueue call returned (insert, lane, send), and from then to its claim. */
  readonly split: { readonly unloaded: DwellSplit; readonly flooded: DwellSplit };
  /** Flood jobs not finished yet when the last quiet job finished. */
  readonly floodLeftWhenQuietDone: number;
  readonly p99Ratio: number;
  /** The flood tenant's steady throughput with the quiet tenant trickling meanwhile (jobs/s). */
  readonly floodThroughput: number;
  /** The same flood of another tenant, alone, on the same workers (jobs/s). */
  readonly unfloodedThroughput: number;
  /** floodThroughput ÷ unfloodedThroughput (work conservation: ≥ 0.9 is the target). */
  readonly throughputRatio: number;
  /** Deferrals per job of the workers over the whole phase. */
  readonly deferralsPerJob: number;
}

export interface LongPhase {
  readonly jobs: number;
  readonly concurrency: number;
  /** RSS of the worker (KB) after this many jobs. */
  readonly rssKb: readonly { readonly jobs: number; readonly rssKb: number }[];
  /** RSS change from 5,000 to the last sample, percent. */
  readonly growthPercent: number;
  readonly cpuMsPerJob: number;
  readonly peakRssKb: number;
  readonly throughput: Throughput;
}

export interface Machine {
  readonly cpus: number;
  readonly cpuModel: string;
  readonly memoryGb: number;
  readonly node: string;
  readonly platform: string;
  /** 1-minute load average at the start and the end (other work on the machine shows here). */
  readonly loadAverage: { readonly start: number; readonly end: number };
}

export interface BenchReport {
  readonly startedAt: string;
  readonly seconds: number;
  readonly machine: Machine;
  readonly endpoint: { readonly profile: string; readonly notes: readonly string[] };
  readonly options: BenchOptions;
  readonly ceilings: readonly Ceiling[];
  readonly baseline: BaselinePhase | undefined;
  readonly phases: readonly WorkerPhase[];
  /** Best scanq steady throughput ÷ baseline steady throughput. */
  readonly baselineRatio: number | undefined;
  /** One fairness phase per flood size. */
  readonly fairness: readonly FairnessPhase[];
  readonly long: LongPhase | undefined;
  readonly headline: string;
}
