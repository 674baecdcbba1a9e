/**
 * Ramp's own metrics (prom-client, one registry per process): rollouts by phase transition and
 * outcome, reconcile duration, queue lag, Kubernetes and Prometheus requests.
 */
import { Counter, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export class EngineMetrics {
  readonly registry = new Registry();
  readonly transitions = new Counter({
    name: 'ramp_rollout_transitions_total',
    help: 'Rollouts entering each phase.',
    labelNames: ['phase'],
    registers: [this.registry],
  });
  readonly outcomes = new Counter({
    name: 'ramp_rollout_outcomes_total',
    help: 'Rollouts finished, by outcome.',
    labelNames: ['outcome'],
    registers: [this.registry],
  });
  readonly reconciles = new Counter({
    name: 'ramp_reconciles_total',
    help: 'Reconciles run, by result.',
    labelNames: ['result'],
    registers: [this.registry],
  });
  readonly reconcileSeconds = new Histogram({
    name: 'ramp_reconcile_duration_seconds',
    help: 'Time one reconcile took.',
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [this.registry],
  });
  readonly queueLagSeconds = new Histogram({
    name: 'ramp_queue_lag_seconds',
    help: 'Time between when a reconcile job was due and when a worker started it.',
    buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [this.registry],
  });
  readonly kubeRequests = new Counter({
    name: 'ramp_kube_requests_total',
    help: 'Kubernetes API requests, by verb, resource and outcome.',
    labelNames: ['verb', 'resource', 'outcome'],
    registers: [this.registry],
  });
  readonly prometheusQueries = new Counter({
    name: 'ramp_prometheus_queries_total',
    help: 'Prometheus queries, by outcome.',
    labelNames: ['outcome'],
    registers: [this.registry],
  });

  constructor(opts: { defaultMetrics?: boolean } = {}) {
    if (opts.defaultMetrics) collectDefaultMetrics({ register: this.registry, prefix: 'ramp_' });
  }
}
