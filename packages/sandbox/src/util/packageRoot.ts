import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';

/**
 * The directory holding the sandbox package's package.json, found by walking up from this file, so
 * paths to its assets and compiled programs resolve the same from src/ (ts-jest) and from dist/.
 */
export function packageRoot(from: string = __dirname): string {
  for (let dir = from; ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'package.json'))) return dir;
    if (dirname(dir) === dir) throw new Error(`no package.json above ${from}`);
  }
}
