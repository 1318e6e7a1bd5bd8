export { buildApp, LOCAL_OPERATOR, type BuildAppOptions } from './app.js';
export { startCommandCenter, type CommandCenter, type CommandCenterOptions } from './server.js';
export { createAlertHub, type AlertFeed, type AlertHub, type AlertListener } from './alert-feed.js';
export { createMqttAlertFeed, parseAlert, type MqttAlertFeed, type MqttAlertFeedOptions } from './mqtt-alert-feed.js';
export { listAlerts, type AlertQuery } from './alert-store.js';
export { appendAudit, type AuditEntry } from './audit.js';
export { AlertListQuery, DEFAULT_ALERT_LIMIT, MAX_ALERT_LIMIT } from './routes/alerts.js';
export { DEFAULT_HEARTBEAT_MS } from './routes/alert-stream.js';
export { CommandCenterError, type CommandCenterErrorCode } from './errors.js';
