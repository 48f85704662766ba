/**
 * How to print a `parley` command so that it works as printed. `npx parley` runs the bin of the
 * nearest node_modules/.bin from the current directory (in this repository, the workspace's own
 * bin), but where there is none npx would fetch and run an unrelated registry package named
 * `parley`. So the banner prints `npx parley` only when the nearest bin is this very file, and
 * otherwise `node` with the path of this CLI's bin.
 */
import { existsSync, realpathSync } from 'node:fs';
import { dirname, join, relative, isAbsolute } from 'node:path';
import { fileURLToPath } from 'node:url';
import { shellArg } from './args.js';

/** packages/server/bin/parley.js, seen from dist/cli/. */
const OWN_BIN = fileURLToPath(new URL('../../bin/parley.js', import.meta.url));

function real(path: string): string | undefined {
  try {
    return realpathSync(path);
  } catch {
    return undefined;
  }
}

/**
 * @param cwd where the user will type the command
 * @example parleyCommand(process.cwd()) // 'npx parley' in the repository
 */
export function parleyCommand(cwd: string): string {
  const own = real(OWN_BIN);
  for (let dir = cwd; ; dir = dirname(dir)) {
    const bin = join(dir, 'node_modules', '.bin', 'parley');
    if (existsSync(bin) || real(bin) !== undefined) {
      if (own !== undefined && real(bin) === own) return 'npx parley';
      break; // the nearest bin is another package's: npx would run that one
    }
    if (dirname(dir) === dir) break;
  }
  const rel = relative(cwd, OWN_BIN);
  return `node ${shellArg(rel.startsWith('..') || isAbsolute(rel) ? OWN_BIN : rel)}`;
}
