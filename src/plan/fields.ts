/** Field schemas the plan and the strategies' blocks share, each refusing with what was expected. */
import { z } from 'zod';

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
export const LABEL_KEY =
  /^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/)?[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;
export const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;

/** A Kubernetes DNS-1123 label (names of apps, services, containers). */
export function dnsLabel(what: string, maxLength = 63) {
  const msg = `expected ${what}: lower-case letters, digits and '-', starting and ending with a letter or digit, at most ${maxLength} characters`;
  return z.string({ error: msg }).max(maxLength, { error: msg }).regex(DNS_LABEL, { error: msg });
}

const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

/** A Kubernetes DNS-1123 subdomain (names of Deployments and most other objects). */
export function dnsSubdomain(what: string) {
  const msg = `expected ${what}: lower-case letters, digits, '-' and '.', starting and ending with a letter or digit, at most 253 characters`;
  return z.string({ error: msg }).max(253, { error: msg }).regex(DNS_SUBDOMAIN, { error: msg });
}

/** An integer in [min, max]. */
export function intRange(min: number, max: number) {
  const msg = `expected an integer ${min}–${max}`;
  return z.int({ error: msg }).min(min, { error: msg }).max(max, { error: msg });
}
