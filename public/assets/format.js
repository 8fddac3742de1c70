// How numbers about a recording read on the page: its length, its size and its MP3 settings.

const LOCALE = undefined; // the browser's own

/** 1.5 → "1.5 s"; 75 → "1:15"; 3725 → "1:02:05". */
export function formatDuration(seconds) {
  if (seconds < 60) return `${new Intl.NumberFormat(LOCALE, { maximumFractionDigits: 1 }).format(seconds)} s`;
  const whole = Math.round(seconds);
  const [h, m, s] = [Math.floor(whole / 3600), Math.floor((whole % 3600) / 60), whole % 60];
  const pad = (n) => String(n).padStart(2, '0');
  return h > 0 ? `${h}:${pad(m)}:${pad(s)}` : `${m}:${pad(s)}`;
}

/** Decimal units, as operating systems show file sizes: 24100 → "24.1 kB". */
export function formatBytes(bytes) {
  const units = ['bytes', 'kB', 'MB', 'GB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1000 && unit < units.length - 1) {
    value /= 1000;
    unit++;
  }
  return `${new Intl.NumberFormat(LOCALE, { maximumFractionDigits: unit === 0 ? 0 : 1 }).format(value)} ${units[unit]}`;
}

/** "128 kbps · stereo · 44.1 kHz" or "VBR quality 2 · mono · 48 kHz". */
export function formatOutput(output) {
  const rate = output.bitrateKbps != null ? `${output.bitrateKbps} kbps` : `VBR quality ${output.vbrQuality}`;
  const channels = output.channels === 1 ? 'mono' : 'stereo';
  const kHz = new Intl.NumberFormat(LOCALE, { maximumFractionDigits: 2 }).format(output.sampleRate / 1000);
  return `${rate} · ${channels} · ${kHz} kHz`;
}

export function formatDate(iso) {
  return new Intl.DateTimeFormat(LOCALE, { dateStyle: 'medium', timeStyle: 'short' }).format(new Date(iso));
}

/** For a recording cut short, what the page says about it; null otherwise. */
export function truncationNotice(input) {
  if (!input.truncated) return null;
  return `The file was cut short: its header declares ${formatDuration(input.declaredDurationSeconds)}, ` +
    `and the ${formatDuration(input.durationSeconds)} it holds were converted.`;
}
