#!/usr/bin/env -S node --import tsx
// `vigil-analytics replay ...`: the TypeScript entry, run through tsx as every Vigil service is.
import '../src/cli/vigil-analytics.ts';
