/**
 * Profile one phase of a scenario (not the whole process life) with the inspector's CPU profiler:
 * `prof.start` / `prof.stop` RPCs served by every server and load process. The profile is written
 * as FILE.cpuprofile, readable by profile-summary.js and Chrome DevTools.
 */
import { Session } from 'node:inspector';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

let session: Session | undefined;

function post(method: string, params?: object): Promise<unknown> {
  return new Promise((resolve, reject) => {
    (session as Session).post(method, params ?? {}, (err, result) => {
      if (err) reject(err);
      else resolve(result);
    });
  });
}

export const phaseProfileHandlers = {
  'prof.start': async (): Promise<number> => {
    if (session === undefined) {
      session = new Session();
      session.connect();
    }
    await post('Profiler.enable');
    await post('Profiler.setSamplingInterval', { interval: 500 });
    await post('Profiler.start');
    return process.pid;
  },
  'prof.stop': async (a: { file: string }): Promise<string> => {
    if (session === undefined) throw new Error('prof.start was not called');
    const { profile } = (await post('Profiler.stop')) as { profile: unknown };
    mkdirSync(dirname(a.file), { recursive: true });
    writeFileSync(a.file, JSON.stringify(profile));
    return a.file;
  },
};
