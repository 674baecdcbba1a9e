/**
 * `ramp lint -f plan.yaml`: validates a plan offline with the same schema the API uses; every problem
 * with its field path; exit 0 valid, 2 problems.
 */
import { PlanValidationError, problemWhere, type FieldProblem } from '../../errors';
import { EXIT_CODES } from '../exitCodes';
import type { Command } from 'commander';
import { compilePlan } from '../../plan/compile';
import { parsePlanText } from '../../plan/parse';
import type { Plan } from '../../plan/schema';
import { bindStrategy } from '../../strategies/registry';
import { parseOutputFormat } from '../config';
import { printResult } from '../output/results';
import { readPlanText } from '../planFile';

interface LintFlags {
  filename?: string;
  output?: string;
}

/** What lint reports: `-o json|yaml` prints this object. */
export interface LintResult {
  file: string;
  valid: boolean;
  problems: FieldProblem[];
}

/** Adds `ramp lint` to the program. */
export function registerLint(program: Command): void {
  program
    .command('lint')
    .description(
      'check a plan offline against the schema the API uses; exit 0 valid, 2 with every problem and its field path',
    )
    .option('-f, --filename <file>', 'the plan (YAML or JSON); - reads standard input')
    .option('-o, --output <format>', 'output format: text, json, yaml', 'text')
    .action(async (flags: LintFlags) => {
      const format = parseOutputFormat(flags.output);
      const file = flags.filename === '-' ? '<stdin>' : (flags.filename ?? '');
      const text = await readPlanText(flags.filename);
      const { result, plan } = lint(file, text);
      printResult(process.stdout, format, result, () => (plan ? validText(file, plan) : problemsText(result)));
      process.exitCode = result.valid ? EXIT_CODES.ok : EXIT_CODES.badInput;
    });
}

/** Validates plan text: the result, and the plan when it is valid. */
export function lint(file: string, text: string): { result: LintResult; plan?: Plan } {
  try {
    const plan = parsePlanText(text);
    return { result: { file, valid: true, problems: [] }, plan };
  } catch (err) {
    if (err instanceof PlanValidationError) return { result: { file, valid: false, problems: err.problems } };
    throw err;
  }
}

function problemsText(r: LintResult): string {
  return [
    `${r.file}: ${r.problems.length} problem${r.problems.length === 1 ? '' : 's'}`,
    ...r.problems.map((p) => `  ${problemWhere(p)}: ${p.message}`),
  ].join('\n');
}

function validText(file: string, plan: Plan): string {
  const c = compilePlan(plan);
  const progress = bindStrategy(c).describe();
  const { key, router } = c.strategy;
  const via = `${router.key}${describeConfig(router.config)}`;
  return [
    `${file}: valid — ${c.app} in ${c.namespace}, ${c.replicas} replicas, ${key} via ${via}`,
    ...progress.steps.map((s) => `  ${s.index + 1}. ${s.description}`),
    `  metrics: ${c.analysis.metrics.map((m) => m.name).join(', ') || 'none'}`,
  ].join('\n');
}

/** A router's settings in brackets, `(httpRoute checkout)`, or nothing when it has none. */
function describeConfig(config: unknown): string {
  if (!config || typeof config !== 'object') return '';
  const parts = Object.entries(config).map(([k, v]) => `${k} ${typeof v === 'object' ? JSON.stringify(v) : String(v)}`);
  return parts.length ? ` (${parts.join(', ')})` : '';
}
