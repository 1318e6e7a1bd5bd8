import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

/** The installed version of `pkg`, for the patches that only apply to one version of a library. */
export function installedVersion(pkg: string): string {
  const require = createRequire(import.meta.url);
  // The patched packages export no ./package.json; their entries live in dist/.
  const pkgPath = join(dirname(require.resolve(pkg)), '..', 'package.json');
  return (JSON.parse(readFileSync(pkgPath, 'utf8')) as { version: string }).version;
}
