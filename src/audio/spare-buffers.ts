// Buffers a thread keeps from one conversion to the next. A worker encodes piece after piece of a split recording, and
// each piece needs the same few megabytes: read buffer, sample planes, output. Fresh ones for every piece were garbage
// that the thread's small heap seldom collects (V8 collects it once the thread's memory outside its heap has grown by
// tens of megabytes), on every thread at once, so the process's peak memory grew with the recording's length
// (docs/BENCHMARKS.md, "Memory").

// One conversion's worth (a stereo piece takes four); what is given back beyond it goes to the garbage collector,
// so recordings of other formats do not pile up buffers of their sizes here.
const MAX_SPARES = 4;
const spares: ArrayBuffer[] = [];

/** A buffer of exactly `bytes`, one given back earlier if there is one; its contents are whatever they were. */
export function takeBuffer(bytes: number): ArrayBuffer {
  const index = spares.findIndex((spare) => spare.byteLength === bytes);
  return index < 0 ? new ArrayBuffer(bytes) : spares.splice(index, 1)[0]!;
}

/** Gives `buffer` back for the next conversion on this thread; nothing may use it after. */
export function giveBack(buffer: ArrayBuffer): void {
  spares.push(buffer);
  if (spares.length > MAX_SPARES) spares.shift();
}
