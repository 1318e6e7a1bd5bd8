#!/usr/bin/env node
// `vigil-edge --config FILE [--data DIR]`: the edge agent, run from its TypeScript source through tsx.
import { register } from 'tsx/esm/api';

register();
await import('../src/main.ts');
