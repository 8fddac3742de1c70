// Benchmarks may run on a machine that is doing other work; the load average seen during the run is printed
// beside the figures so that a reader can tell a slow machine from a slow service.
import os from 'node:os';

const SAMPLE_INTERVAL_MS = 2_000;

export interface MachineLoadWatch {
  /** Stops sampling; describes the 1-minute load average seen, against the number of cores. */
  stop(): string;
}

export function watchMachineLoad(): MachineLoadWatch {
  const samples = [os.loadavg()[0]!];
  const timer = setInterval(() => samples.push(os.loadavg()[0]!), SAMPLE_INTERVAL_MS).unref();
  return {
    stop() {
      clearInterval(timer);
      samples.push(os.loadavg()[0]!);
      return `1-minute load average ${Math.min(...samples).toFixed(1)}–${Math.max(...samples).toFixed(1)} during the run on ${os.availableParallelism()} cores`;
    },
  };
}
