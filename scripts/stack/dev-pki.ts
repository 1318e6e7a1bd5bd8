import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createCa, issueCertificate } from '@vigil/broker';

/** Paths of the broker's TLS files. */
export interface DevPki {
  caFile: string;
  certFile: string;
  keyFile: string;
}

/**
 * The demo's own CA and a broker certificate for localhost, made on the first
 * `npm start` and kept in `dir` (a site without a PKI does the same with the
 * broker's `pki` CLI). Devices of the demo can be issued certificates from it.
 */
export function ensureDevPki(dir: string): DevPki {
  const paths = { caFile: join(dir, 'ca.pem'), caKeyFile: join(dir, 'ca-key.pem'), certFile: join(dir, 'server.pem'), keyFile: join(dir, 'server-key.pem') };
  if (!existsSync(paths.caFile) || !existsSync(paths.caKeyFile)) {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const ca = createCa({ commonName: 'Vigil demo site CA', days: 3650 });
    writeFileSync(paths.caFile, ca.certPem);
    writeFileSync(paths.caKeyFile, ca.keyPem, { mode: 0o600 });
  }
  if (!existsSync(paths.certFile) || !existsSync(paths.keyFile)) {
    const ca = { certPem: readFileSync(paths.caFile, 'utf8'), keyPem: readFileSync(paths.caKeyFile, 'utf8') };
    const server = issueCertificate(ca, { commonName: 'localhost', days: 825, serverAltNames: ['localhost', '127.0.0.1'] });
    writeFileSync(paths.certFile, server.certPem);
    writeFileSync(paths.keyFile, server.keyPem, { mode: 0o600 });
    chmodSync(paths.keyFile, 0o600);
  }
  return { caFile: paths.caFile, certFile: paths.certFile, keyFile: paths.keyFile };
}
