// The hash-bound ceiling of T9: native bcrypt comparing one password in a loop on one thread,
// run pinned to the server core. Prints {"msPerHash": …, "cpuMsPerHash": …}: wall time, and the
// CPU time that other work sharing the core does not inflate.
// Run: node --import tsx bench/src/servers/bcrypt-loop.ts <cost> <hashes>
import bcrypt from 'bcrypt';

const cost = Number(process.argv[2]);
const hashes = Number(process.argv[3]);
if (!Number.isInteger(cost) || !Number.isInteger(hashes) || hashes < 1) {
  throw new Error('usage: bcrypt-loop.ts <cost> <hashes>');
}

const hash = bcrypt.hashSync('bench-password', cost);
// One comparison first, so the timed ones find the library loaded and the caches warm.
bcrypt.compareSync('bench-password', hash);
const started = performance.now();
const cpuStarted = process.cpuUsage();
for (let i = 0; i < hashes; i++) {
  if (!bcrypt.compareSync('bench-password', hash)) throw new Error('bcrypt compare failed');
}
const msPerHash = (performance.now() - started) / hashes;
const cpu = process.cpuUsage(cpuStarted);
const cpuMsPerHash = (cpu.user + cpu.system) / 1000 / hashes;
process.stdout.write(`${JSON.stringify({ msPerHash, cpuMsPerHash })}\n`);
