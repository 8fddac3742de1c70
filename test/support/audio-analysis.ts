/**
 * Measurements tests make on audio: pitch, level, and how well an output matches its source.
 * All spectral work goes through one radix-2 FFT so a 10 s, 48 kHz signal takes milliseconds.
 */

/** Frequency (Hz) of the strongest spectral peak, refined between bins to well under 1 Hz. */
export function dominantFrequency(samples: Float32Array, sampleRate: number): number {
  const size = nextPowerOfTwo(samples.length);
  const re = new Float64Array(size);
  const im = new Float64Array(size);
  // A Hann window keeps leakage from hiding the peak and makes its log-magnitude shape near-parabolic.
  for (let i = 0; i < samples.length; i++) {
    re[i] = samples[i]! * (0.5 - 0.5 * Math.cos((2 * Math.PI * i) / samples.length));
  }
  fft(re, im);

  const magnitudeDb = (bin: number): number => 10 * Math.log10(re[bin]! ** 2 + im[bin]! ** 2 + 1e-300);
  let peak = 1; // bin 0 is DC, never a tone
  for (let bin = 2; bin < size / 2; bin++) {
    if (re[bin]! ** 2 + im[bin]! ** 2 > re[peak]! ** 2 + im[peak]! ** 2) peak = bin;
  }
  const [left, centre, right] = [magnitudeDb(peak - 1), magnitudeDb(peak), magnitudeDb(peak + 1)];
  const curvature = left - 2 * centre + right;
  const offset = curvature === 0 ? 0 : (0.5 * (left - right)) / curvature;
  return ((peak + offset) * sampleRate) / size;
}

export function rms(samples: Float32Array): number {
  if (samples.length === 0) return 0;
  let sum = 0;
  for (const value of samples) sum += value * value;
  return Math.sqrt(sum / samples.length);
}

/**
 * Pearson correlation between reference[i] and test[i + lag], maximised over lags in [-maxLag, maxLag]
 * and computed over the overlap at each lag. A positive lag means the test signal is late, as an MP3
 * decoder's output is. Cross products come from one FFT correlation; means and variances from prefix sums.
 */
export function bestCorrelation(
  reference: Float32Array,
  test: Float32Array,
  maxLagSamples: number,
): { correlation: number; lag: number } {
  const shorter = Math.min(reference.length, test.length);
  if (!Number.isInteger(maxLagSamples) || maxLagSamples < 0 || maxLagSamples * 2 >= shorter) {
    // Larger lags leave overlaps so short that a spurious near-perfect match becomes likely.
    throw new RangeError(`maxLagSamples must be an integer from 0 to under half the shorter signal (${shorter}), got ${maxLagSamples}`);
  }
  const products = crossProducts(reference, test, maxLagSamples);
  const refSums = prefixSums(reference);
  const testSums = prefixSums(test);

  let best = { correlation: -Infinity, lag: 0 };
  for (let lag = -maxLagSamples; lag <= maxLagSamples; lag++) {
    const start = Math.max(0, -lag);
    const end = Math.min(reference.length, test.length - lag);
    const n = end - start;
    const [sumR, sumRR] = refSums.over(start, end);
    const [sumT, sumTT] = testSums.over(start + lag, end + lag);
    const covariance = products(lag) - (sumR * sumT) / n;
    const variance = (sumRR - (sumR * sumR) / n) * (sumTT - (sumT * sumT) / n);
    const correlation = variance > 0 ? covariance / Math.sqrt(variance) : 0;
    if (correlation > best.correlation) best = { correlation, lag };
  }
  return best;
}

/** Linear interpolation: crude, but enough to line a source up with output decoded at another rate. */
export function resampleLinearForComparison(samples: Float32Array, fromRate: number, toRate: number): Float32Array {
  if (samples.length === 0) return new Float32Array(0);
  const ratio = fromRate / toRate;
  const out = new Float32Array(Math.floor((samples.length - 1) / ratio) + 1);
  for (let i = 0; i < out.length; i++) {
    const position = i * ratio;
    const index = Math.floor(position);
    const fraction = position - index;
    const next = samples[Math.min(index + 1, samples.length - 1)]!;
    out[i] = samples[index]! * (1 - fraction) + next * fraction;
  }
  return out;
}

/** Returns lag → Σ reference[i]·test[i+lag], valid for |lag| ≤ maxLag (the padding prevents wrap-around there). */
function crossProducts(reference: Float32Array, test: Float32Array, maxLag: number): (lag: number) => number {
  const size = nextPowerOfTwo(Math.max(reference.length, test.length) + maxLag);
  const refRe = Float64Array.from({ length: size }, (_, i) => reference[i] ?? 0);
  const refIm = new Float64Array(size);
  const testRe = Float64Array.from({ length: size }, (_, i) => test[i] ?? 0);
  const testIm = new Float64Array(size);
  fft(refRe, refIm);
  fft(testRe, testIm);
  // conj(R)·T, then an inverse FFT done as a forward FFT of the conjugate.
  for (let k = 0; k < size; k++) {
    const re = refRe[k]! * testRe[k]! + refIm[k]! * testIm[k]!;
    const im = refRe[k]! * testIm[k]! - refIm[k]! * testRe[k]!;
    refRe[k] = re;
    refIm[k] = -im;
  }
  fft(refRe, refIm);
  return (lag) => refRe[lag >= 0 ? lag : size + lag]! / size;
}

function prefixSums(samples: Float32Array): { over(start: number, end: number): [number, number] } {
  const sum = new Float64Array(samples.length + 1);
  const sumOfSquares = new Float64Array(samples.length + 1);
  for (let i = 0; i < samples.length; i++) {
    sum[i + 1] = sum[i]! + samples[i]!;
    sumOfSquares[i + 1] = sumOfSquares[i]! + samples[i]! * samples[i]!;
  }
  return { over: (start, end) => [sum[end]! - sum[start]!, sumOfSquares[end]! - sumOfSquares[start]!] };
}

function nextPowerOfTwo(n: number): number {
  let size = 1;
  while (size < n) size *= 2;
  return size;
}

/** In-place iterative radix-2 FFT; re.length must be a power of two. */
function fft(re: Float64Array, im: Float64Array): void {
  const n = re.length;
  for (let i = 1, j = 0; i < n; i++) {
    let bit = n >> 1;
    for (; j & bit; bit >>= 1) j ^= bit;
    j ^= bit;
    if (i < j) {
      [re[i], re[j]] = [re[j]!, re[i]!];
      [im[i], im[j]] = [im[j]!, im[i]!];
    }
  }
  const cos = new Float64Array(n / 2);
  const sin = new Float64Array(n / 2);
  for (let k = 0; k < n / 2; k++) {
    cos[k] = Math.cos((2 * Math.PI * k) / n);
    sin[k] = -Math.sin((2 * Math.PI * k) / n);
  }
  for (let half = 1; half < n; half *= 2) {
    const stride = n / (2 * half);
    for (let start = 0; start < n; start += 2 * half) {
      for (let k = 0; k < half; k++) {
        const a = start + k;
        const b = a + half;
        const wr = cos[k * stride]!;
        const wi = sin[k * stride]!;
        const tr = re[b]! * wr - im[b]! * wi;
        const ti = re[b]! * wi + im[b]! * wr;
        re[b] = re[a]! - tr;
        im[b] = im[a]! - ti;
        re[a] = re[a]! + tr;
        im[a] = im[a]! + ti;
      }
    }
  }
}

/**
 * The amplitude of the sinusoid at `freqHz` in `samples` (Hann-windowed single-bin DFT, so that neighbouring tones a
 * few hundred hertz away do not leak into it).
 */
export function toneAmplitude(samples: Float32Array, sampleRate: number, freqHz: number): number {
  const n = samples.length;
  let re = 0;
  let im = 0;
  let windowSum = 0;
  for (let i = 0; i < n; i++) {
    const w = 0.5 - 0.5 * Math.cos((2 * Math.PI * i) / (n - 1));
    const phase = (2 * Math.PI * freqHz * i) / sampleRate;
    re += w * samples[i]! * Math.cos(phase);
    im -= w * samples[i]! * Math.sin(phase);
    windowSum += w;
  }
  return (2 * Math.hypot(re, im)) / windowSum;
}
