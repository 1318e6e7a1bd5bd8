/** Error codes of the broker package. */
export type BrokerErrorCode =
  | 'VIGIL_BROKER_CONFIG' // a bad setting at start-up
  | 'VIGIL_BROKER_AUTH' // a CONNECT refused (bad credentials, bad client id, will not allowed)
  | 'VIGIL_BROKER_ACL' // a PUBLISH, SUBSCRIBE or will refused by the topic rules
  | 'VIGIL_BROKER_REGISTRY' // a bad device registration or a registry lookup that failed
  | 'VIGIL_BROKER_SECRET' // a malformed stored secret hash
  | 'VIGIL_BROKER_LIMIT' // a client over a size or rate limit, disconnected
  | 'VIGIL_BROKER_REDIS' // the Redis shared by a cluster of brokers is not usable at start-up
  | 'VIGIL_BROKER_PERSISTENCE'; // the file a single broker keeps its sessions in is not usable at start-up

/** An error with a stable code, raised at the package boundary. */
export class BrokerError extends Error {
  readonly code: BrokerErrorCode;

  constructor(code: BrokerErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'BrokerError';
    this.code = code;
  }
}

/** A bad or missing setting; `variable` names it so the operator can fix it. */
export class ConfigError extends BrokerError {
  readonly variable: string;

  constructor(variable: string, message: string) {
    super('VIGIL_BROKER_CONFIG', message);
    this.name = 'ConfigError';
    this.variable = variable;
  }
}

/**
 * A refused CONNECT. `returnCode` is the MQTT 3.1.1 CONNACK code [MQTT-3.2.2-5]:
 * 2 identifier rejected, 3 server unavailable, 4 bad user name or password, 5 not authorized.
 * Aedes reads `returnCode` from the error it is handed.
 */
export class AuthError extends BrokerError {
  readonly returnCode: 2 | 3 | 4 | 5;
  readonly rule: string;

  constructor(returnCode: 2 | 3 | 4 | 5, rule: string, message: string) {
    super('VIGIL_BROKER_AUTH', message);
    this.name = 'AuthError';
    this.returnCode = returnCode;
    this.rule = rule;
  }
}

/** A PUBLISH (or will) refused by the topic rules; `rule` says which. */
export class AclError extends BrokerError {
  readonly rule: string;
  readonly topic: string;

  constructor(rule: string, topic: string) {
    super('VIGIL_BROKER_ACL', `topic ${JSON.stringify(topic)} refused by rule ${rule} / 主题被访问规则 ${rule} 拒绝`);
    this.name = 'AclError';
    this.rule = rule;
    this.topic = topic;
  }
}

/** A client over one of the broker's limits (see limits/options.ts); `limit` names it, `value` is what the client reached. */
export class LimitError extends BrokerError {
  readonly limit: string;
  readonly value: number;
  readonly max: number;

  constructor(limit: string, value: number, max: number) {
    super('VIGIL_BROKER_LIMIT', `over limit ${limit} (${max}): reached ${value} / 超出限制 ${limit}（${max}）：达到 ${value}`);
    this.name = 'LimitError';
    this.limit = limit;
    this.value = value;
    this.max = max;
  }
}
