import type { FastifyPluginAsync } from 'fastify';
import type { AppContext } from '../context.js';

/** Rules and thresholds: see the rule-set routes (filled in once analytics' rule-set table lands). */
export const ruleRoutes: FastifyPluginAsync<{ ctx: AppContext }> = async () => {};
