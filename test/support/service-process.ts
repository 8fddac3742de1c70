// The service as a real process (as `npm start` runs it), for what only a process shows: start-up, restarts on
// the same data, signals and exit codes.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdir } from 'node:fs/promises';
import { serviceArguments } from './start-command.js';

export interface ServiceProcess {
  url: string;
  child: ChildProcess;
  /** Everything it logged so far. */
  output(): string;
  /** SIGTERM, then the exit code. */
  stop(): Promise<number | null>;
}

export async function startServiceProcess(env: Record<string, string | undefined>): Promise<ServiceProcess> {
  const cwd = env.DATA_DIR ?? process.cwd();
  await mkdir(cwd, { recursive: true });
  const child = spawn(process.execPath, serviceArguments(), {
    // Not the repository: a developer's .env there must not leak into the test.
    cwd,
    // The suite creates hundreds of users from 127.0.0.1 within the hour, counted in the shared database: no sign-up
    // limit unless a test sets one.
    env: { PATH: process.env.PATH, HOME: process.env.HOME, PORT: '0', HOST: '127.0.0.1', LOG_REQUESTS: 'false', MAX_SIGNUPS_PER_IP_PER_HOUR: '0', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const exited = new Promise<number | null>((resolve) =>
    child.once('exit', (code, signal) => {
      // Said in the output, so that a test failing on the exit code shows how the process ended.
      if (signal) output += `\n[the service was ended by ${signal}]\n`;
      resolve(code);
    }),
  );
  const url = await new Promise<string>((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const match = /"msg":"listening on (http:\/\/[^"]+)"/.exec(output);
      if (match) resolve(match[1]!.replace('localhost', '127.0.0.1'));
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    void exited.then((code) => reject(new Error(`the service exited with ${code} before listening:\n${output}`)));
  });
  return {
    url,
    child,
    output: () => output,
    async stop() {
      child.kill('SIGTERM');
      return exited;
    },
  };
}
