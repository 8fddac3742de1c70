// The directory uploads are spooled to while they convert. Each process gets its own folder under DATA_DIR/spool,
// named by its pid, and at start-up removes the folders of processes that are gone (a crash leaves its spool
// behind), but never those of a live process sharing the same DATA_DIR.
import { chmod, mkdir, readdir, rm } from 'node:fs/promises';
import path from 'node:path';

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists but belongs to someone else.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Creates this process's spool folder, emptied, after removing those of dead processes. Returns its path. */
export async function prepareUploadSpool(spoolRoot: string): Promise<string> {
  // Uploads are other people's recordings: only the service's own user may list or read them.
  await mkdir(spoolRoot, { recursive: true, mode: 0o700 });
  await chmod(spoolRoot, 0o700);
  for (const entry of await readdir(spoolRoot)) {
    const pid = /^\d+$/.test(entry) ? Number(entry) : undefined;
    if (pid !== undefined && pid !== process.pid && isAlive(pid)) continue;
    await rm(path.join(spoolRoot, entry), { recursive: true, force: true });
  }
  const own = path.join(spoolRoot, String(process.pid));
  await mkdir(own, { recursive: true, mode: 0o700 });
  return own;
}
