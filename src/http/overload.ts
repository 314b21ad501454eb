import underPressure from '@fastify/under-pressure';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { OverloadThresholds } from '../config.js';
import { ServiceUnavailable } from '../core/errors.js';

/**
 * Answered even under pressure: a load balancer must tell an overloaded process from a dead one,
 * and the metrics scrape is how an operator sees the overload.
 */
const ALWAYS_ANSWERED = new Set(['/healthz', '/readyz', '/metrics']);

/**
 * Load shedding (@fastify/under-pressure): while the event loop lags or memory is past its
 * threshold, every request but the health checks and /metrics is answered at once with 503
 * `service_unavailable`, `Retry-After` and problem+json, instead of joining a queue that only
 * grows. The thresholds are sampled, so a request pays a few comparisons; a shed request is logged
 * as any other (its 503 in the request log), never a line of its own that would add to the load.
 */
export async function registerLoadShedding(app: FastifyInstance, thresholds: OverloadThresholds): Promise<void> {
  await app.register(underPressure, {
    maxEventLoopDelay: thresholds.maxEventLoopDelayMs,
    maxEventLoopUtilization: thresholds.maxEventLoopUtilization,
    maxHeapUsedBytes: thresholds.maxHeapUsedBytes,
    maxRssBytes: thresholds.maxRssBytes,
    sampleInterval: thresholds.sampleIntervalMs,
    // Rejecting becomes the error handler's problem+json, Retry-After included; resolving lets the request through.
    pressureHandler: async (request: FastifyRequest) => {
      if (ALWAYS_ANSWERED.has(request.url.split('?')[0] ?? '')) return;
      throw new ServiceUnavailable(thresholds.retryAfterSeconds);
    },
  });
}
