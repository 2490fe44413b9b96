import { type CellBudget, type CellResult, CellRun, measure } from './measure.js';
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

/**
 * How many slices each cell's time is cut into. The contenders of a cell take turns, one
 * slice each, so a change in the machine's state during a cell (on these virtual machines a
 * loopback round trip takes about 25 µs or about 95 µs, for stretches of hundreds of ms)
 * falls on all of them alike instead of on whichever ran then.
 */
export const SLICES_PER_CELL = 5;

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
 * Within a round, each cell runs all contenders in turns of {@link SLICES_PER_CELL} slices,
 * starting with a different one each round, so drift of the machine falls on all of them
 * alike.
 */
export async function runSuite(suite: OpenSuite, settings: RunSettings): Promise<CellSeries[]> {
  const warmPlans = await warmUp(suite, settings);
  const series = new Map<string, CellSeries>();
  const total = OPERATIONS.length * CONCURRENCIES.length * settings.rounds;
  let done = 0;

  for (let round = 0; round < settings.rounds; round++) {
    const order = rotate(suite.contenders, round);
    for (const operation of OPERATIONS) {
      for (const concurrency of CONCURRENCIES) {
        const label =
          `${suite.adapter} round ${round + 1}/${settings.rounds} · ` +
          `${OPERATION_LABELS[operation]} ×${concurrency} · cell ${++done}/${total}`;
        const contenders = order.flatMap((contender) => {
          const warm = warmPlans.get(`${contender.name}/${operation}`);
          return warm === undefined ? [] : [{ name: contender.name, warm }];
        });
        const results = await runCell(contenders, concurrency, settings, operation, label);
        for (const [name, result] of results) {
          seriesOf(series, operation, concurrency, name).rounds.push(result);
        }
      }
    }
  }
  return [...series.values()];
}

/**
 * Runs one cell: every contender prepares for 1.5 times the calls its warm-up rate fits in
 * the time budget (never more than its call budget), so slow contenders do not spend
 * minutes writing data they never use; then they take turns, a slice of the time budget
 * each, and each cleans up after itself.
 */
async function runCell(
  contenders: readonly { name: string; warm: WarmPlan }[],
  concurrency: number,
  settings: RunSettings,
  operation: OperationName,
  label: string,
): Promise<Map<string, CellResult>> {
  const budget = settings.budgets[operation];
  const cells = new Map<string, { warm: WarmPlan; cell: CellRun }>();
  for (const { name, warm } of contenders) {
    const expectedCalls = Math.ceil((warm.warmOpsPerSec * budget.maxMs * 1.5) / 1000) + 32;
    const maxCalls = Math.min(budget.maxCalls, expectedCalls);
    await warm.plan.prepare(maxCalls);
    cells.set(name, {
      warm,
      cell: new CellRun((index) => warm.plan.call(index), concurrency, maxCalls),
    });
  }
  if (settings.collectGarbage) {
    collectGarbage();
  }

  for (let slice = 0; slice < SLICES_PER_CELL; slice++) {
    for (const [name, { cell }] of cells) {
      settings.progress.update(`${label} · slice ${slice + 1}/${SLICES_PER_CELL} · ${name}`);
      await cell.runFor(budget.maxMs / SLICES_PER_CELL);
    }
  }

  const results = new Map<string, CellResult>();
  for (const [name, { warm, cell }] of cells) {
    await warm.plan.finish(cell.calls, concurrency);
    results.set(name, cell.result());
  }
  return results;
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
