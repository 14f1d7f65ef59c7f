import type { AssetRecord, Emit, Severity } from '../../capability.js';
import { POSTURE_RISKS } from './rules.js';

/** A risk of the catalogue, by its key in `POSTURE_RISKS`. */
export type PostureRisk = keyof typeof POSTURE_RISKS;

/** One check as the result document reports it. */
export interface CheckSummary {
  readonly check: string;
  /** Resources the check looked at. */
  readonly checked: number;
  /** Risks it raised. */
  readonly findings: number;
}

/**
 * Emits assets and risks and counts them per check, so the result document says what ran and
 * what it found (a check with `checked: 0` ran on an empty account, it was not skipped).
 */
export class PostureTally {
  readonly #emit: Emit;
  readonly #checks = new Map<string, { checked: number; findings: number }>();
  readonly #assets = new Map<string, number>();
  readonly #severities = new Map<Severity, number>();

  constructor(emit: Emit, checks: readonly string[]) {
    this.#emit = emit;
    for (const check of checks) this.#checks.set(check, { checked: 0, findings: 0 });
  }

  asset(asset: AssetRecord): void {
    this.#emit.asset(asset);
    this.#assets.set(asset.type, (this.#assets.get(asset.type) ?? 0) + 1);
  }

  /** Counts one resource looked at by `check`. */
  checked(check: string): void {
    this.#entry(check).checked += 1;
  }

  risk(
    check: string,
    asset: Pick<AssetRecord, 'type' | 'value'>,
    risk: PostureRisk,
    evidence: Record<string, unknown>,
  ): void {
    const { name, severity } = POSTURE_RISKS[risk];
    this.#emit.risk({ asset, name, severity, evidence: { check, ...evidence } });
    this.#entry(check).findings += 1;
    this.#severities.set(severity, (this.#severities.get(severity) ?? 0) + 1);
  }

  #entry(check: string) {
    let entry = this.#checks.get(check);
    if (!entry) {
      entry = { checked: 0, findings: 0 };
      this.#checks.set(check, entry);
    }
    return entry;
  }

  /** Checks run and counts: assets by type, risks in all and by severity. */
  summary() {
    const checks: CheckSummary[] = [...this.#checks].map(([check, c]) => ({ check, ...c }));
    const risks = checks.reduce((sum, c) => sum + c.findings, 0);
    return {
      checks,
      counts: {
        assets: Object.fromEntries(this.#assets),
        risks,
        bySeverity: Object.fromEntries(this.#severities),
      },
    };
  }
}
