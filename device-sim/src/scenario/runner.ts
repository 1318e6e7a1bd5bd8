import type { Scenario } from './parse.js';
import { ScenarioError } from './parse.js';
import type { Injectors } from './types.js';

/** How a scenario run moves simulated time and where its steps go. */
export interface RunOptions {
  injectors: Injectors;
  /** Move the simulation to sim time `t` (instantly in a test, paced by the wall clock in the CLI). */
  advanceTo(t: number): Promise<void>;
  /** Told of each step as it runs. */
  onStep?(step: Scenario['steps'][number]): void;
}

/**
 * Run a scenario: advance to each step's time, hand the step to the injector
 * of its kind, and advance to the end. A step for a kind without an injector,
 * or one its injector refuses, stops the run with an error naming the line.
 */
export async function runScenario(scenario: Scenario, opts: RunOptions): Promise<void> {
  for (const step of scenario.steps) {
    const injector = opts.injectors[step.kind];
    if (!injector) throw new ScenarioError(`line ${step.line}: no ${step.kind} simulator in this run / 本次运行没有 ${step.kind} 模拟器`);
    await opts.advanceTo(step.atMs);
    opts.onStep?.(step);
    try {
      await injector.inject(step.device, step.action, step.args);
    } catch (err) {
      throw new ScenarioError(`line ${step.line}: ${step.kind} ${step.device} ${step.action}: ${(err as Error).message}`);
    }
  }
  await opts.advanceTo(scenario.endMs);
}
