export { startBroker, type BrokerOptions, type BrokerPersistence, type BrokerTlsOptions, type BrokerWsOptions, type RunningBroker } from './broker.js';
export type { BrokerMetrics } from './metrics.js';
export { redactRedisUrl, type BrokerRedisOptions } from './cluster.js';
export { hashSecret, verifySecret, generateSecret } from './secrets.js';
export {
  registerDevice,
  revokeDevice,
  rotateDeviceSecret,
  credentialChangesSince,
  findDevice,
  DEVICE_KINDS,
  type DeviceKind,
  type DeviceRecord,
  type DeviceRegistration,
  type CredentialChange,
  type Queryable,
} from './registry.js';
export { createDeviceRegistry, type DeviceRegistry } from './device-registry.js';
export { serviceAccounts, SERVICE_PREFIX, type ServiceAccount, type ServiceSecrets } from './service-accounts.js';
export { canPublish, canSubscribe, canReceive, deviceCommandFilter, type Principal, type Decision } from './acl.js';
export { topicMatches, filterWithin } from './topic-filter.js';
export { BrokerError, ConfigError, AuthError, AclError, LimitError, type BrokerErrorCode } from './errors.js';
export { DEFAULT_LIMITS, type BrokerLimits } from './limits/options.js';
export { parseBrokerConfig, readTlsFiles, CONFIG_EXIT_CODE, type BrokerConfig, type TlsFileConfig, type Env } from './config.js';
export { createCa, issueCertificate, CA_CERT_FILE, CA_KEY_FILE, type CertificateBundle, type CaOptions, type IssueOptions } from './pki.js';
export { certificateIdentity } from './hooks/authenticate.js';
