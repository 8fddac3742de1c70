// WASM LAME timed in a process started with `npm start`'s node flags. V8 flags belong to a process (a worker thread
// cannot have its own), so the encoders benchmark compares the service's flags with V8's defaults through a second,
// long-lived process: it warms up with the rest and is timed on the same files in the same rounds.
import { fork } from 'node:child_process';
import { serviceNodeFlags } from '../test/support/start-command.js';
import type { TimedEncoding } from './encoder-runs.js';

type Reply = { ready: true } | { timing: TimedEncoding } | { error: string };

export interface FlaggedEncoder {
  /** The flags it runs with. */
  flags: string[];
  timeEncoderAlone(wavPath: string): Promise<TimedEncoding>;
  close(): void;
}

export async function startFlaggedEncoder(): Promise<FlaggedEncoder> {
  const flags = serviceNodeFlags();
  const child = fork(new URL('./flagged-encoder-child.js', import.meta.url), [], { execArgv: flags, stdio: 'inherit' });
  const next = () =>
    new Promise<Reply>((resolve, reject) => {
      const onExit = (code: number | null) => reject(new Error(`the flagged encoder process exited with ${code}`));
      child.once('exit', onExit);
      child.once('message', (reply: Reply) => {
        child.off('exit', onExit);
        resolve(reply);
      });
    });
  await next();
  return {
    flags,
    async timeEncoderAlone(wavPath) {
      const reply = next();
      child.send(wavPath);
      const answer = await reply;
      if ('error' in answer) throw new Error(answer.error);
      if (!('timing' in answer)) throw new Error('the flagged encoder answered out of turn');
      return answer.timing;
    },
    close: () => void child.kill(),
  };
}
