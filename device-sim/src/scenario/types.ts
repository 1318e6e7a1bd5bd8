/**
 * The scenario runner's contract with the simulators. A scenario file is a
 * timed script of injected events ("14:05 tag T-17 enters exclusion zone Z-3;
 * 14:06 door D-2 forced"); each step names a target kind (`tag`, `gate`,
 * `camera`), a device of that kind, an action and its arguments, and the
 * runner hands it to the injector registered for that kind.
 */

/** The kinds of simulated device a scenario step can target. */
export type TargetKind = 'tag' | 'gate' | 'camera';

/**
 * Something that can inject events into one kind of simulated device.
 * `inject` resolves once the effect is applied (the simulator's state changed,
 * any message it causes handed to its output); it rejects with an Error naming
 * the device or action when it does not know them.
 */
export interface Injector {
  inject(device: string, action: string, args: Record<string, unknown>): Promise<void>;
}

/** The injectors a scenario run may use, by target kind; a step for a missing kind is an error. */
export type Injectors = Partial<Record<TargetKind, Injector>>;
