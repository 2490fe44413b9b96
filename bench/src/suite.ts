import type { OperationName, PlanFactory } from './operations.js';

/** Which kind of contender: this project's adapter, the bare driver, or a peer library. */
export type Role = 'ours' | 'raw' | 'peer';

/** One library (or bare driver) measured on one backend. */
export interface Contender {
  name: string;
  role: Role;
  plans: Partial<Record<OperationName, PlanFactory>>;
}

/** The adapters the benchmark knows, in the order they run. */
export const ADAPTERS = ['sqlite', 'postgres', 'redis', 'mongodb'] as const;

/** One adapter's name. */
export type AdapterName = (typeof ADAPTERS)[number];

/** An opened backend with its contenders. `close` removes everything the suite created. */
export interface OpenSuite {
  adapter: AdapterName;
  /** A sentence on what the contenders run against, for the report. */
  setting: string;
  contenders: Contender[];
  /** Peers that could not run here, with the reason. */
  skipped: { name: string; reason: string }[];
  close(): Promise<void>;
}
