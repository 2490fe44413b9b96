import { type CellBudget, type CellResult, measure } from './measure.js';
import {
  OPERATION_LABELS,
  OPERATIONS,
  type OperationName,
  type OperationPlan,
  type PlanContext,
  type PlanFactory,
  USERS_PER_PLAN,
} from './operations.js';
import type { Progress } from './progress.js';
import type { OpenSuite } from './suite.js';

/** The calls in flight each operation is measured at. */
export const CONCURRENCIES = [1, 32] as const;

/** How long each cell may run, per operation. */
export type Budgets = Record<OperationName, CellBudget>;

/** Every round's result of one contender on one operation at one concurrency. */
export interface CellSeries {
  operation: OperationName;
  concurrency: number;
  contender: string;
  rounds: CellResult[];
}

/** What a suite run needs besides the suite. */
export interface RunSettings {
  rounds: number;
  budgets: Budgets;
  warmUpBudget: CellBudget;
  /** See {@link PlanContext}. */
  hotSessions: number;
  getAllUsers: number;
  /** Whether to collect garbage before each cell (needs node --expose-gc); slow but steadier. */
  collectGarbage: boolean;
  progress: Progress;
}

let planCount = 0;

/** Gives every plan its own session ids and users, across suites. */
function newPlan(factory: PlanFactory, settings: RunSettings): OperationPlan {
  planCount += 1;
  return factory({
    tag: `p${planCount}`,
    userBase: planCount * USERS_PER_PLAN,
    hotSessions: settings.hotSessions,
    getAllUsers: settings.getAllUsers,
  });
}

/** A plan with the rate its warm-up reached, which sizes what each cell prepares. */
interface WarmPlan {
  plan: OperationPlan;
  warmOpsPerSec: number;
}

/**
 * Warms every contender up (checking that each plan does its job), then runs the rounds.
 * Within a round, each cell runs all contenders back to back, starting with a different one
 * each round, so drift of the machine falls on all of them alike.
 */
export async function runSuite(suite: OpenSuite, settings: RunSettings): Promise<CellSeries[]> {
  const warmPlans = await warmUp(suite, settings);
  const series = new Map<string, CellSeries>();
  const total = warmPlans.size * CONCURRENCIES.length * settings.rounds;
  let done = 0;

  for (let round = 0; round < settings.rounds; round++) {
    const order = rotate(suite.contenders, round);
    for (const operation of OPERATIONS) {
      for (const concurrency of CONCURRENCIES) {
        for (const contender of order) {
          const warm = warmPlans.get(`${contender.name}/${operation}`);
          if (warm === undefined) {
            continue;
          }
          settings.progress.update(
            `${suite.adapter} round ${round + 1}/${settings.rounds} · ` +
              `${OPERATION_LABELS[operation]} ×${concurrency} · ${contender.name} · ` +
              `cell ${++done}/${total}`,
          );
          const budget = settings.budgets[operation];
          const result = await runCell(warm, concurrency, budget, settings.collectGarbage);
          seriesOf(series, operation, concurrency, contender.name).rounds.push(result);
        }
      }
    }
  }
  return [...series.values()];
}

/**
 * Prepares for 1.5 times the calls the warm-up rate fits in the time budget (never more
 * than its call budget), so slow contenders do not spend minutes writing data they never use.
 */
async function runCell(
  warm: WarmPlan,
  concurrency: number,
  budget: CellBudget,
  garbageFirst: boolean,
): Promise<CellResult> {
  const expectedCalls = Math.ceil((warm.warmOpsPerSec * budget.maxMs * 1.5) / 1000) + 32;
  const maxCalls = Math.min(budget.maxCalls, expectedCalls);
  await warm.plan.prepare(maxCalls);
  if (garbageFirst) {
    collectGarbage();
  }

  const result = await measure((index) => warm.plan.call(index), concurrency, {
    ...budget,
    maxCalls,
  });
  await warm.plan.finish(result.calls, concurrency);
  return result;
}

async function warmUp(suite: OpenSuite, settings: RunSettings): Promise<Map<string, WarmPlan>> {
  const warmPlans = new Map<string, WarmPlan>();
  const concurrency = CONCURRENCIES[CONCURRENCIES.length - 1] ?? 1;

  for (const contender of suite.contenders) {
    for (const operation of OPERATIONS) {
      const factory = contender.plans[operation];
      if (factory === undefined) {
        continue;
      }
      settings.progress.update(`${suite.adapter} warm-up · ${operation} · ${contender.name}`);
      const plan = newPlan(factory, settings);
      const result = await warmUpPlan(plan, concurrency, settings.warmUpBudget).catch(
        (error: unknown) => {
          throw new Error(`${suite.adapter} ${contender.name} ${operation}: ${String(error)}`, {
            cause: error,
          });
        },
      );
      warmPlans.set(`${contender.name}/${operation}`, { plan, warmOpsPerSec: result.opsPerSec });
    }
  }
  return warmPlans;
}

async function warmUpPlan(
  plan: OperationPlan,
  concurrency: number,
  budget: CellBudget,
): Promise<CellResult> {
  await plan.prepare(budget.maxCalls);
  const result = await measure(
    async (index) => plan.check(await plan.call(index)),
    concurrency,
    budget,
  );
  await plan.finish(result.calls, concurrency);
  return result;
}

function rotate<T>(items: readonly T[], by: number): T[] {
  const shift = by % items.length;
  return [...items.slice(shift), ...items.slice(0, shift)];
}

function seriesOf(
  series: Map<string, CellSeries>,
  operation: OperationName,
  concurrency: number,
  contender: string,
): CellSeries {
  const key = `${operation}/${concurrency}/${contender}`;
  let entry = series.get(key);
  if (entry === undefined) {
    entry = { operation, concurrency, contender, rounds: [] };
    series.set(key, entry);
  }
  return entry;
}

/** Collects garbage before a measured cell when node runs with --expose-gc. */
function collectGarbage(): void {
  (globalThis as { gc?: () => void }).gc?.();
}
