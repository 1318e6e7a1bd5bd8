import { createRequire } from 'node:module';
import { test } from 'node:test';
import memoryPersistence from 'aedes-persistence';
import { indexOutgoing } from '../src/outgoing-index.js';

// The indexed outgoing queue must behave exactly like aedes-persistence's own:
// run that package's abstract persistence suite (every persistence backend's
// conformance tests) against the in-memory persistence with the index in place.
const require = createRequire(import.meta.url);
const abstractSuite = require('aedes-persistence/abstract.js') as (opts: { test: typeof test; persistence: () => unknown; testAsync: boolean }) => void;
const factory = memoryPersistence as unknown as () => unknown;

abstractSuite({ test, persistence: () => indexOutgoing(factory()), testAsync: true });
