/**
 * The sandbox Prometheus' configuration file: a fast global interval (so reaction can be measured in
 * seconds), the `kubernetes-pods` job fed by the sandbox's HTTP service discovery, and any extra jobs.
 */
import { stringify } from 'yaml';

/** A Prometheus `scrape_config`, written to the file as given (Prometheus' own snake_case names). */
export interface ScrapeConfig {
  job_name: string;
  scrape_interval?: string;
  scrape_timeout?: string;
  metrics_path?: string;
  scheme?: 'http' | 'https';
  honor_labels?: boolean;
  static_configs?: { targets: string[]; labels?: Record<string, string> }[];
  http_sd_configs?: { url: string; refresh_interval?: string }[];
  file_sd_configs?: { files: string[]; refresh_interval?: string }[];
  relabel_configs?: Record<string, unknown>[];
  metric_relabel_configs?: Record<string, unknown>[];
}

export interface PrometheusConfigOptions {
  /** URL of the HTTP service-discovery endpoint serving the pods' targets. */
  sdUrl: string;
  /** Scrape and rule-evaluation interval, in seconds. */
  scrapeIntervalSeconds: number;
  extraScrapeConfigs?: readonly ScrapeConfig[];
}

export const POD_JOB_NAME = 'kubernetes-pods';

/** A Prometheus duration ("1s", "500ms") for a number of seconds. */
export function promDuration(seconds: number): string {
  if (!(seconds > 0) || !Number.isFinite(seconds)) throw new RangeError(`not a positive duration: ${seconds} s`);
  const ms = Math.round(seconds * 1000);
  return ms % 1000 === 0 ? `${ms / 1000}s` : `${ms}ms`;
}

/** The YAML text of prometheus.yml. The scrape timeout is 1 s or the interval, whichever is shorter. */
export function renderPrometheusConfig(opts: PrometheusConfigOptions): string {
  const interval = promDuration(opts.scrapeIntervalSeconds);
  const pods: ScrapeConfig = {
    job_name: POD_JOB_NAME,
    http_sd_configs: [{ url: opts.sdUrl, refresh_interval: interval }],
  };
  const config = {
    global: {
      scrape_interval: interval,
      scrape_timeout: promDuration(Math.min(1, opts.scrapeIntervalSeconds)),
      evaluation_interval: interval,
    },
    scrape_configs: [pods, ...(opts.extraScrapeConfigs ?? [])],
  };
  return stringify(config);
}
