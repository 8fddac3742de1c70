// WASM LAME timed in a process that turns V8's wasm inlining on, as the service does at start-up
// (src/audio/wasm-inlining.ts). V8's flags belong to a process, so the encoders benchmark compares with V8's defaults
// (its own process) through a second, long-lived one: it warms up with the rest and is timed on the same files in
// the same rounds.
import { fork } from 'node:child_process';
import type { TimedEncoding } from './encoder-runs.js';

type Reply = { ready: true; enabled: boolean } | { timing: TimedEncoding } | { error: string };

export interface InliningEncoder {
  /** False where this V8 inlines wasm calls anyway, so that both processes encode alike. */
  enabled: boolean;
  timeEncoderAlone(wavPath: string): Promise<TimedEncoding>;
  close(): void;
}

export async function startInliningEncoder(): Promise<InliningEncoder> {
  const child = fork(new URL('./inlining-encoder-child.js', import.meta.url), [], { stdio: 'inherit' });
  const next = () =>
    new Promise<Reply>((resolve, reject) => {
      const onExit = (code: number | null) => reject(new Error(`the encoder process with wasm inlining exited with ${code}`));
      child.once('exit', onExit);
      child.once('message', (reply: Reply) => {
        child.off('exit', onExit);
        resolve(reply);
      });
    });
  const ready = await next();
  if (!('ready' in ready)) throw new Error('the encoder process with wasm inlining answered out of turn');
  return {
    enabled: ready.enabled,
    async timeEncoderAlone(wavPath) {
      const reply = next();
      child.send(wavPath);
      const answer = await reply;
      if ('error' in answer) throw new Error(answer.error);
      if (!('timing' in answer)) throw new Error('the encoder process with wasm inlining answered out of turn');
      return answer.timing;
    },
    close: () => void child.kill(),
  };
}
