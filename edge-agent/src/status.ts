import { Value } from '@sinclair/typebox/value';
import { AgentStatusBody, deviceTopic, newMessage } from '@vigil/schemas';
import type { Static } from '@sinclair/typebox';
import type { DriverStatus } from './drivers-host.js';

export type AgentStatusBody = Static<typeof AgentStatusBody>;

/** The retained `status` topic of the agent. */
export function statusTopic(site: string, agentId: string): string {
  return deviceTopic(site, agentId, 'status');
}

/** An `agent.status` envelope, as JSON. */
export function statusPayload(agentId: string, seq: number, body: AgentStatusBody): string {
  return JSON.stringify(newMessage('agent.status', agentId, seq, body));
}

/** The body of a periodic or birth status. */
export function statusBody(s: { version: string; startedAt: number; queueDepth: number; dropped: number; drivers: Record<string, DriverStatus> }): AgentStatusBody {
  const body: AgentStatusBody = {
    online: true,
    version: s.version,
    uptime_s: Math.max(0, Math.floor((Date.now() - s.startedAt) / 1000)),
    queue_depth: s.queueDepth,
    dropped: s.dropped,
    drivers: s.drivers,
  };
  return Value.Check(AgentStatusBody, body) ? body : { online: true, version: s.version, queue_depth: s.queueDepth, dropped: s.dropped };
}
