/**
 * A small certificate authority for a site that has no PKI of its own: one CA per site, which issues
 * device certificates (CN = device id) and server certificates (CN = host name, plus subjectAltNames).
 *
 * Library choice: node-forge. It is maintained, has no native parts, is synchronous (so the CLI and the
 * tests stay simple), and builds X.509 v3 certificates with the extensions we need (basicConstraints,
 * keyUsage, extKeyUsage, subjectAltName, key identifiers). @peculiar/x509 would also do, but it is
 * async-only over WebCrypto and brings a larger ASN.1 stack. Key pairs are made with node:crypto
 * (native, fast) and handed to forge only for signing.
 */
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { isIP } from 'node:net';
import forge from 'node-forge';

/** A certificate and its private key, both PEM. */
export interface CertificateBundle {
  certPem: string;
  keyPem: string;
}

/** Options of createCa. */
export interface CaOptions {
  /** Subject CN of the CA, e.g. `Vigil site prison-a CA`. */
  commonName: string;
  /** Validity in days from now. */
  days: number;
}

/** Options of issueCertificate. */
export interface IssueOptions {
  /** Subject CN: the device id for a device certificate, the host name for a server certificate. */
  commonName: string;
  /** Validity in days from now. */
  days: number;
  /** When given, a server certificate with these DNS names / IP addresses as subjectAltName; otherwise a client certificate. */
  serverAltNames?: string[];
}

const RSA_BITS = 2048;

function newKeyPair(): { publicKey: forge.pki.PublicKey; privateKey: forge.pki.rsa.PrivateKey; keyPem: string } {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: RSA_BITS });
  const keyPem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  const forgeKey = forge.pki.privateKeyFromPem(keyPem) as forge.pki.rsa.PrivateKey;
  const publicKey = forge.pki.setRsaPublicKey(forgeKey.n, forgeKey.e);
  return { publicKey, privateKey: forgeKey, keyPem };
}

function checkDays(days: number): void {
  if (!Number.isInteger(days) || days < 1) throw new RangeError(`days must be a positive integer, got ${days} / 有效天数必须是正整数`);
}

function serialNumber(): string {
  // 16 random bytes, top bit cleared so the DER integer stays positive [RFC 5280 4.1.2.2]
  const b = randomBytes(16);
  b[0] = (b[0] ?? 0) & 0x7f;
  return b.toString('hex');
}

function validity(cert: forge.pki.Certificate, days: number): void {
  const now = Date.now();
  // a little back-dating tolerates clocks of devices that are slightly behind
  cert.validity.notBefore = new Date(now - 5 * 60_000);
  cert.validity.notAfter = new Date(now + days * 86_400_000);
}

/** Create a self-signed CA certificate and key. */
export function createCa(opts: CaOptions): CertificateBundle {
  checkDays(opts.days);
  const keys = newKeyPair();
  const cert = forge.pki.createCertificate();
  cert.publicKey = keys.publicKey;
  cert.serialNumber = serialNumber();
  validity(cert, opts.days);
  const subject = [{ name: 'commonName', value: opts.commonName }];
  cert.setSubject(subject);
  cert.setIssuer(subject);
  cert.setExtensions([
    { name: 'basicConstraints', cA: true, pathLenConstraint: 0, critical: true },
    { name: 'keyUsage', keyCertSign: true, cRLSign: true, critical: true },
    { name: 'subjectKeyIdentifier' },
  ]);
  cert.sign(keys.privateKey, forge.md.sha256.create());
  return { certPem: forge.pki.certificateToPem(cert), keyPem: keys.keyPem };
}

/** Issue a device (client) certificate, or a server certificate when `serverAltNames` is given, signed by `ca`. */
export function issueCertificate(ca: CertificateBundle, opts: IssueOptions): CertificateBundle {
  checkDays(opts.days);
  if (opts.commonName.trim() === '') throw new RangeError('commonName must not be empty / 通用名不能为空');
  const caCert = forge.pki.certificateFromPem(ca.certPem);
  const caKey = forge.pki.privateKeyFromPem(ca.keyPem);
  const keys = newKeyPair();
  const cert = forge.pki.createCertificate();
  cert.publicKey = keys.publicKey;
  cert.serialNumber = serialNumber();
  validity(cert, opts.days);
  cert.setSubject([{ name: 'commonName', value: opts.commonName }]);
  cert.setIssuer(caCert.subject.attributes);
  const server = opts.serverAltNames !== undefined;
  const extensions: object[] = [
    { name: 'basicConstraints', cA: false, critical: true },
    { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
    server ? { name: 'extKeyUsage', serverAuth: true } : { name: 'extKeyUsage', clientAuth: true },
    { name: 'subjectKeyIdentifier' },
    { name: 'authorityKeyIdentifier', keyIdentifier: caCert.generateSubjectKeyIdentifier().getBytes() },
  ];
  if (server) {
    const names = opts.serverAltNames!.length > 0 ? opts.serverAltNames! : [opts.commonName];
    // type 2 = dNSName, 7 = iPAddress [RFC 5280 4.2.1.6]
    extensions.push({ name: 'subjectAltName', altNames: names.map((n) => (isIP(n) ? { type: 7, ip: n } : { type: 2, value: n })) });
  }
  cert.setExtensions(extensions);
  cert.sign(caKey as forge.pki.rsa.PrivateKey, forge.md.sha256.create());
  return { certPem: forge.pki.certificateToPem(cert), keyPem: keys.keyPem };
}

/** File names the `pki` CLI uses for the CA inside its directory. */
export const CA_CERT_FILE = 'ca.pem';
export const CA_KEY_FILE = 'ca-key.pem';
