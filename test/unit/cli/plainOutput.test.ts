/** CI output: one timestamped line per event, never an ANSI escape; results and the GitHub step summary. */
import { eventLine, reconnectLine } from '../../../src/cli/output/eventLine';
import { PlainProgress } from '../../../src/cli/output/plainProgress';
import { finalLine, listText, statusText } from '../../../src/cli/output/results';
import { stepSummaryMarkdown } from '../../../src/cli/output/stepSummary';
import { T0, finalGood, goodStory, view } from './fixtures';

const ISO_LINE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z /;
const ANSI = /\x1b/;

describe('plain event lines', () => {
  it('formats timestamp, phase, step, weight and message', () => {
    expect(eventLine(goodStory()[5], 4)).toBe(
      '2026-11-25T16:00:04Z Progressing step 3/4 weight 50% — step 3/4: setWeight 50',
    );
    expect(eventLine(goodStory()[8], 4)).toBe(
      '2026-11-25T16:00:08Z Succeeded steps done (4/4) weight 100% — promoted: bbbbbbbbbb is stable',
    );
    expect(eventLine({ id: '1-0', at: new Date(T0).toISOString(), type: 'Warning', message: 'two\nlines' }, 4)).toBe(
      '2026-11-25T16:00:00Z — two lines',
    );
    expect(reconnectLine(new Date(T0), 2, 500, 'ECONNREFUSED')).toBe(
      '2026-11-25T16:00:00Z connection to the API lost (ECONNREFUSED); reconnecting in 500ms (attempt 2)',
    );
  });

  it('PlainProgress writes exactly one such line per event and nothing else', () => {
    let out = '';
    const p = new PlainProgress({ write: (s: string) => ((out += s), true) } as unknown as NodeJS.WritableStream);
    p.start(view());
    for (const e of goodStory()) p.event(e);
    p.end(finalGood());
    p.close();
    const lines = out.trimEnd().split('\n');
    expect(lines).toHaveLength(goodStory().length);
    for (const l of lines) {
      expect(l).toMatch(ISO_LINE);
      expect(l).not.toMatch(ANSI);
    }
    expect(p.current?.outcome).toBe('promoted');
  });
});

describe('results', () => {
  it('status, list and the final line say what happened', () => {
    const r = { ...finalGood(), history: goodStory() };
    const status = statusText(r, T0 + 10_000);
    expect(status).toContain('phase      promoted · steps done (4/4)');
    expect(status).toContain('traffic    canary [████████████████████] 100%  bbbbbbbbbb is stable');
    expect(status).toContain('events:');
    expect(status).not.toMatch(ANSI);
    expect(
      listText(
        [finalGood(), view({ id: 'shop.checkout.4', phase: 'Progressing', stepIndex: 1, weight: 10 })],
        T0 + 60_000,
      ).split('\n'),
    ).toEqual([
      'NAME      ROLLOUT          PHASE        OUTCOME   STEP  WEIGHT  AGE',
      'checkout  shop.checkout.3  Succeeded    promoted  4/4   100%    1m',
      'checkout  shop.checkout.4  Progressing  -         2/4   10%     1m',
    ]);
    // A first deploy skips every step: it is past them, whatever its stepIndex says.
    const first = { ...finalGood(), stepIndex: 0, history: [] };
    expect(statusText(first, T0)).toContain('phase      promoted · steps done (4/4)');
    expect(listText([first], T0)).toContain('promoted  4/4');
    expect(finalLine(finalGood(), T0 + 99_000)).toBe('rollout shop.checkout.3 promoted after 8s: bbbbbbbbbb is stable');
  });
});

describe('the GitHub step summary', () => {
  it('has the outcome, steps, final verdicts with evidence, and the duration', () => {
    const md = stepSummaryMarkdown(finalGood(), T0 + 60_000);
    expect(md).toContain('### Ramp rollout `checkout` in `shop`: ✅ promoted');
    expect(md).toContain('| Duration | 8s |');
    expect(md).toContain('| Traffic | all on the new revision |');
    expect(md).toContain('1. ✓ setWeight 10');
    expect(md).toContain(
      '| errors | pass | error ratio 0.5 within 1.5 \\| ok | canaryRequests=240, canaryErrors=1, ratio=0.5123 |',
    );
  });

  it('says the rollout keeps going when we stopped waiting', () => {
    const md = stepSummaryMarkdown(view({ phase: 'Progressing' }), T0 + 5000, true);
    expect(md).toContain('⏳ still Progressing (stopped waiting; the rollout keeps going)');
    expect(md).toContain('| Duration | 5s |');
  });
});
