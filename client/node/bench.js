// Times the Node client on the 5000 x 5000 float64 workload:
//
//   node client/node/bench.js --target=127.0.0.1:50051 [--repeats=5]
//       [--rpcs=apply,inplace,gradient]
//
// Apply (relu(x) into a new array, as a user calls it), ApplyInPlace
// (relu(y, { inPlace: true, out: y })) and Gradient (gradient(x), no
// upstream: the C++ client's bench), each result compared bit for bit with
// a JavaScript reference. Prints one JSON
// list: per RPC the p50 / min seconds, whether every result matched, and
// the process's peak RSS.
'use strict';

const fs = require('node:fs');
const { TensorTransformClient } = require('./tensor_transform');

const N = 5000 * 5000;

function flag(name, fallback) {
  const arg = process.argv.find((a) => a.startsWith(`--${name}=`));
  return arg ? arg.slice(name.length + 3) : fallback;
}

// Uniform in [-0.5, 0.5) from a fixed LCG.
function uniform(n, seed) {
  let state = seed;
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    state = (state * 1103515245 + 12345) % 2147483648;
    out[i] = state / 2147483648 - 0.5;
  }
  return out;
}

function same(a, b) {
  return Buffer.compare(Buffer.from(a.buffer, a.byteOffset, a.byteLength),
    Buffer.from(b.buffer, b.byteOffset, b.byteLength)) === 0;
}

function peakRssBytes() {
  const line = fs.readFileSync('/proc/self/status', 'utf8').split('\n')
    .find((l) => l.startsWith('VmHWM:'));
  return Number(line.split(/\s+/)[1]) * 1024;
}

// Seconds of each of `repeats` calls after an untimed one, as every client's
// bench warms up each row.
async function timed(call, repeats) {
  await call();
  const seconds = [];
  for (let i = 0; i < repeats; i++) {
    const start = process.hrtime.bigint();
    await call();
    seconds.push(Number(process.hrtime.bigint() - start) / 1e9);
  }
  return seconds;
}

function row(rpc, seconds, verified) {
  const sorted = [...seconds].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  const p50 = sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
  return { client: 'node', rpc, seconds_p50: p50, seconds_min: sorted[0], verified };
}

async function main() {
  const repeats = Number(flag('repeats', '5'));
  const client = new TensorTransformClient(flag('target'), { timeoutMs: 600000 });
  const x = uniform(N, 42);
  const relu = x.map((v) => (v > 0 ? v : 0));
  const y = x.slice(); // in place: relu(relu(x)) == relu(x), same bytes moved
  const calls = {
    apply: [() => client.relu(x), relu],
    inplace: [() => client.relu(y, { inPlace: true, out: y }), relu],
    gradient: [() => client.gradient(x), x.map((v) => (v > 0 ? 1 : 0))],
  };
  const rows = [];
  try {
    for (const rpc of flag('rpcs', 'apply,inplace,gradient').split(',')) {
      const [call, want] = calls[rpc];
      const seconds = await timed(call, repeats);
      rows.push(row(rpc, seconds, same(await call(), want)));
    }
  } finally {
    client.close();
  }
  for (const r of rows) r.peak_rss_bytes = peakRssBytes();
  console.log(JSON.stringify(rows));
}

main().catch((error) => {
  console.error(`bench: ${error.message}`);
  process.exitCode = 1;
});
