export { startBroker, type BrokerOptions, type RunningBroker } from './broker.js';
export type { BrokerMetrics } from './metrics.js';
export { hashSecret, verifySecret, generateSecret } from './secrets.js';
export {
  registerDevice,
  revokeDevice,
  findDevice,
  DEVICE_KINDS,
  type DeviceKind,
  type DeviceRecord,
  type DeviceRegistration,
  type Queryable,
} from './registry.js';
export { createDeviceRegistry, type DeviceRegistry } from './device-registry.js';
export { serviceAccounts, SERVICE_PREFIX, type ServiceAccount, type ServiceSecrets } from './service-accounts.js';
export { canPublish, canSubscribe, canReceive, deviceCommandFilter, type Principal, type Decision } from './acl.js';
export { topicMatches, filterWithin } from './topic-filter.js';
export { BrokerError, ConfigError, AuthError, AclError, type BrokerErrorCode } from './errors.js';
export { parseBrokerConfig, CONFIG_EXIT_CODE, type BrokerConfig, type Env } from './config.js';
