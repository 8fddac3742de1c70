// What run.ts hands every benchmark, and what a benchmark hands back.

export interface BenchOptions {
  /**
   * A smoke run: a few seconds of audio and one run of everything, to prove the benchmark works end to end.
   * Its figures mean nothing, so run.ts prints its section instead of writing docs/BENCHMARKS.md.
   */
  tiny: boolean;
}

/** Measures, and returns its section of docs/BENCHMARKS.md (markdown); run.ts decides where the section goes. */
export type Benchmark = (databaseUrl: string, options: BenchOptions) => Promise<string>;
