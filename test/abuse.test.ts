// Issue 13's acceptance, against the service as a process with its default limits (the transfer-rate window shortened
// to 15 s): 2,000 upload connections that trickle their bodies and 500 downloads that are never read, all open at once,
// from twenty-five client addresses. Checked: /healthz by curl from another address while they open, while they are
// held and afterwards; a normal user's uploads; descriptors against the limit; resident memory; and that the server
// itself closes every slow connection. The numbers are printed; docs/LIMITS.md has them.
import { execFile } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import postgres from 'postgres';
import { test } from './support/suite.js';
import * as assert from 'uvu/assert';
import { encodeWav, headerOfUnknownLength } from './fixtures/wav-writer.js';
import { musicLike } from './fixtures/signals.js';
import { handMadeUpload } from './support/multipart.js';
import { createUser, upload, type CreatedUser } from './support/api-client.js';
import { connectFrom, type RawConnection } from './support/raw-http.js';
import { seedLargeRecord } from './support/seed-record.js';
import { startServiceProcess } from './support/service-process.js';
import { testDatabaseUrl } from './support/test-service.js';

const SLOW_BODIES = 2_000;
const STALLED_DOWNLOADS = 500;
// Longer than the ten seconds it takes to open them all, so that all are open at once.
const WINDOW_MS = 15_000;
const METRICS_TOKEN = 'abuse-test-metrics-token';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const run = promisify(execFile);

async function processNumbers(pid: number) {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const rssKb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1]);
  return { rssMb: rssKb / 1024, descriptors: (await readdir(`/proc/${pid}/fd`)).length };
}

async function descriptorLimit(pid: number): Promise<number> {
  const limits = await readFile(`/proc/${pid}/limits`, 'utf8');
  return Number(/Max open files\s+(\d+)/.exec(limits)?.[1]);
}

/** /healthz as curl sees it: the status and curl's own measure of the time to the whole answer. */
async function probeHealth(url: string): Promise<{ status: number; ms: number }> {
  const { stdout } = await run('curl', ['-s', '-o', '/dev/null', '--max-time', '5', '-w', '%{http_code} %{time_total}', `${url}/healthz`]).catch(
    (error: { stdout?: string }) => ({ stdout: error.stdout ?? '0 5' }),
  );
  const [status, seconds] = stdout.trim().split(' ');
  return { status: Number(status), ms: Number(seconds) * 1000 };
}

async function metric(url: string, name: string): Promise<number> {
  const text = await (await fetch(`${url}/metrics`, { headers: { Authorization: `Bearer ${METRICS_TOKEN}` } })).text();
  const lines = text.split('\n').filter((l) => l.startsWith(name));
  return lines.reduce((sum, l) => sum + Number(l.split(' ').at(-1)), 0);
}

/** Opens `count` connections from the addresses given in turn, 50 every 200 ms (250 a second; see docs/LIMITS.md on bursts). */
async function openMany(url: string, count: number, addresses: string[], start: (c: RawConnection, i: number) => void): Promise<RawConnection[]> {
  const all: RawConnection[] = [];
  for (let i = 0; i < count; i += 50) {
    if (i > 0) await sleep(200);
    const batch = await Promise.all(
      Array.from({ length: Math.min(50, count - i) }, async (_, j) => {
        const connection = await connectFrom(url, addresses[(i + j) % addresses.length]);
        start(connection, i + j);
        return connection;
      }),
    );
    all.push(...batch);
  }
  return all;
}

test('when 2,000 uploads trickle and 500 downloads stall at once, then health, a real upload, descriptors and memory hold, and the server closes them all', async () => {
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'wav2mp3-abuse-'));
  const sql = postgres(testDatabaseUrl(), { max: 2, onnotice: () => {} });
  const service = await startServiceProcess({
    DATABASE_URL: testDatabaseUrl(),
    DATA_DIR: dataDir,
    METRICS_TOKEN,
    SLOW_TRANSFER_WINDOW_MS: String(WINDOW_MS),
    WORKER_THREADS: '2',
  });
  const pid = service.child.pid!;
  const attackers: RawConnection[] = [];
  let monitoring = true;
  let removeRecord = async () => {};
  try {
    const wav = encodeWav({ sampleRate: 44100, channels: 2 }, musicLike(5, 44100, 2));
    const legit = await createUser(service.url, 'legit');
    const owners: CreatedUser[] = [];
    for (let i = 0; i < 10; i++) owners.push(await createUser(service.url, `attacker ${i}`));
    const record = await seedLargeRecord(sql, owners[0]!.id, 48 * 1024 * 1024);
    removeRecord = record.remove;
    assert.is((await upload(service.url, wav, { user: legit.id, token: legit.token })).status, 201, 'warm-up upload');
    const limit = await descriptorLimit(pid);
    const before = await processNumbers(pid);

    const peak = { rssMb: before.rssMb, descriptors: before.descriptors };
    type Phase = 'opening' | 'held' | 'after';
    let phase = 'opening' as Phase;
    const probes: { phase: Phase; status: number; ms: number }[] = [];
    const monitor = (async () => {
      while (monitoring) {
        const now = await processNumbers(pid).catch(() => peak);
        peak.rssMb = Math.max(peak.rssMb, now.rssMb);
        peak.descriptors = Math.max(peak.descriptors, now.descriptors);
        await sleep(100);
      }
    })();
    const prober = (async () => {
      while (monitoring) {
        const at = phase;
        probes.push({ phase: at, ...(await probeHealth(service.url)) });
        await sleep(250);
      }
    })();

    const attackStarted = Date.now();
    const timings = { openedMs: 0, bodiesClosedMs: 0, downloadsClosedMs: 0 };
    // Each trickling body sends a byte a second from the moment it is open.
    const slowBodies: RawConnection[] = [];
    const trickle = setInterval(() => {
      for (const c of slowBodies) if (c.socket.writable) c.socket.write('x');
    }, 1_000);
    try {
      const bodyAddresses = Array.from({ length: 20 }, (_, i) => `127.0.0.${10 + i}`);
      await openMany(service.url, SLOW_BODIES, bodyAddresses, (c, i) => {
        // Twenty of them authenticate first (two per user, each user's cap) and so hold a spool file and a conversion
        // waiting for its end (a WAV of unknown length, which nothing refuses early); the rest send the file part
        // first, as the attack in the issue did, and are refused and discarded (lingering close).
        const form = handMadeUpload('b', i < 20 ? owners[i % 10]! : undefined, 'filename="slow.wav"');
        c.socket.write(`POST /record HTTP/1.1\r\nHost: x\r\nContent-Type: ${form.contentType}\r\nContent-Length: 300000000\r\n\r\n${form.head}`);
        c.socket.write(i < 20 ? headerOfUnknownLength() : 'RIFF');
        slowBodies.push(c);
      });
      attackers.push(...slowBodies);
      const downloadAddresses = ['127.0.0.30', '127.0.0.31', '127.0.0.32', '127.0.0.33', '127.0.0.34'];
      attackers.push(
        ...(await openMany(service.url, STALLED_DOWNLOADS, downloadAddresses, (c) => {
          c.socket.write(`GET /record?id=${record.id}&user=${owners[0]!.id} HTTP/1.1\r\nHost: x\r\n\r\n`);
          c.socket.pause(); // never reads a byte
        })),
      );
      const opened = Date.now();
      timings.openedMs = opened - attackStarted;
      phase = 'held';

      const during = await upload(service.url, wav, { user: legit.id, token: legit.token });
      assert.is(during.status, 201, `upload during the attack: ${await during.clone().text()}`);

      // Every slow connection is the server's to close: a trickling body once a window has passed (the refused ones
      // while their rest is discarded); a stalled download once the kernel buffers of both ends are full (about 4 MB
      // per connection on loopback, streamed out of PostgreSQL first) and a window has passed.
      const closed = { bodies: 0, downloads: 0 };
      while (Date.now() < opened + WINDOW_MS + 90_000 && !(closed.bodies && closed.downloads)) {
        const now = Date.now() - opened;
        if (!closed.bodies && (await metric(service.url, 'http_slow_transfers_dropped_total{direction="request"}')) >= SLOW_BODIES) closed.bodies = now;
        if (!closed.downloads && (await metric(service.url, 'http_slow_transfers_dropped_total{direction="response"}')) >= STALLED_DOWNLOADS) closed.downloads = now;
        await sleep(250);
      }
      phase = 'after';
      timings.bodiesClosedMs = closed.bodies;
      timings.downloadsClosedMs = closed.downloads;
      assert.ok(closed.bodies > 0 && closed.bodies < WINDOW_MS + 10_000, `every trickling upload closed by the server: ${JSON.stringify(closed)}`);
      assert.ok(closed.downloads > 0, `every stalled download closed by the server: ${JSON.stringify(closed)}`);
      // What is left open is the test's own: its kept-alive metrics and upload connections.
      assert.ok((await metric(service.url, 'http_open_connections')) <= 3, 'every attacker connection is closed');
    } finally {
      clearInterval(trickle);
    }

    const after = await upload(service.url, wav, { user: legit.id, token: legit.token });
    assert.is(after.status, 201, 'upload after the attack');
    await sleep(1_000);
    monitoring = false;
    await Promise.all([monitor, prober]);

    const ms = (which: Phase) => probes.filter((p) => p.phase === which).map((p) => p.ms).sort((a, b) => a - b);
    const summary = (which: Phase) => {
      const all = ms(which);
      return `${which}: ${all.length} probes, median ${all[all.length >> 1]?.toFixed(0)} ms, 95th ${all[Math.floor(all.length * 0.95)]?.toFixed(0)} ms, slowest ${all.at(-1)?.toFixed(0)} ms`;
    };
    console.log(
      `  abuse: /healthz ${summary('opening')}; ${summary('held')}; ${summary('after')}. Descriptors ${before.descriptors} → peak ${peak.descriptors} ` +
        `(limit ${limit}); RSS ${before.rssMb.toFixed(0)} → peak ${peak.rssMb.toFixed(0)} MB; all open after ${timings.openedMs} ms; ` +
        `trickling uploads closed ${timings.bodiesClosedMs} ms and stalled downloads ${timings.downloadsClosedMs} ms after that`,
    );
    assert.ok(probes.every((p) => p.status === 200), `health statuses: ${probes.map((p) => p.status).join(' ')}`);
    // The 95th percentiles are the claim while connections open and while they are held: on this 2-core machine the
    // attacker, PostgreSQL and curl share the cores, and single probes under a loaded machine have taken up to 0.74 s
    // (docs/LIMITS.md has the slowest probes of quiet runs). Afterwards every probe.
    const held = ms('held');
    const opening = ms('opening');
    assert.ok(held.length >= 20 && opening.length >= 20, `${opening.length} probes while opening, ${held.length} while held`);
    assert.ok(held[Math.floor(held.length * 0.95)]! < 100 && held.at(-1)! < 2_000, summary('held'));
    assert.ok(opening[Math.floor(opening.length * 0.95)]! < 100 && opening.at(-1)! < 2_000, summary('opening'));
    assert.ok(ms('after').every((t) => t < 100), summary('after'));
    assert.ok(peak.descriptors > SLOW_BODIES + STALLED_DOWNLOADS, `all ${SLOW_BODIES + STALLED_DOWNLOADS} open at once (peak ${peak.descriptors})`);
    assert.ok(peak.descriptors < limit, `${peak.descriptors} descriptors of ${limit}`);
    // The stalled downloads pull about 2 GB through the process while the kernel fills their buffers: the young
    // generation npm start caps and the one piece per download keep that garbage in bounds (docs/LIMITS.md).
    assert.ok(peak.rssMb - before.rssMb < 200, `RSS grew ${(peak.rssMb - before.rssMb).toFixed(0)} MB`);
    assert.not.match(service.output(), /EMFILE/);
  } finally {
    monitoring = false;
    for (const c of attackers) c.socket.destroy();
    await service.stop();
    await removeRecord();
    await sql.end({ timeout: 5 });
    await rm(dataDir, { recursive: true, force: true });
  }
});

test.run();
