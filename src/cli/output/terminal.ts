/**
 * Draws a block of lines in place on a terminal: each frame moves the cursor back to the block's first
 * line and clears to the end of the screen. Lines must fit the width (liveView clips them), or a wrapped
 * line would leave the previous frame's tail behind.
 */
const CLEAR_DOWN = '\x1b[0J';

/** Cursor up n lines, to column 1 (`\x1b[nF`). */
function up(n: number): string {
  return n > 0 ? `\x1b[${n}F` : '\r';
}

/** Redraws a frame of lines in place on a terminal stream. */
export class InPlaceWriter {
  private drawn = 0;

  constructor(private readonly stream: NodeJS.WritableStream) {}

  /** Replaces the previous frame with `lines`. */
  draw(lines: readonly string[]): void {
    const frame = `${this.drawn ? up(this.drawn) : ''}${CLEAR_DOWN}${lines.join('\n')}\n`;
    this.stream.write(frame);
    this.drawn = lines.length;
  }

  /** Leaves the last frame on screen; the next output starts below it. */
  release(): void {
    this.drawn = 0;
  }
}
