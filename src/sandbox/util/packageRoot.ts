import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';

/**
 * The directory holding Ramp's package.json, found by walking up from this file, so paths to compiled
 * programs resolve the same from src/ (ts-jest) and from dist/src/.
 */
export function packageRoot(from: string = __dirname): string {
  for (let dir = from; ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'package.json'))) return dir;
    if (dirname(dir) === dir) throw new Error(`no package.json above ${from}`);
  }
}
