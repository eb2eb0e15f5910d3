// The Node client against a live tensor_transform_server ($TT_SERVER) on a
// free loopback port, with a 1 MiB unary cap so that a 3 MiB array streams.
// Run: TT_SERVER=build/tensor_transform_server node --test client/node/test/
'use strict';

const assert = require('node:assert/strict');
const { spawn, execFile } = require('node:child_process');
const path = require('node:path');
const { after, before, test } = require('node:test');
const grpc = require('@grpc/grpc-js');
const { TensorTransformClient, TensorTransformError, METHODS } = require('../tensor_transform');

const CAP = 1 << 20;
let server;
let target;
let client;

function startServer() {
  return new Promise((resolve, reject) => {
    const child = spawn(process.env.TT_SERVER,
      ['--listen=127.0.0.1:0', `--max_message_bytes=${CAP}`], { stdio: ['ignore', 'ignore', 'pipe'] });
    let log = '';
    child.stderr.on('data', (chunk) => {
      log += chunk;
      const match = /listening on (127\.0\.0\.1:\d+)/.exec(log);
      if (match) resolve({ child, target: match[1] });
    });
    child.on('exit', (code) => reject(new Error(`server exited (${code}) before listening: ${log}`)));
  });
}

before(async () => {
  ({ child: server, target } = await startServer());
  client = new TensorTransformClient(target, { timeoutMs: 60000 });
});

after(async () => {
  client.close();
  const exited = new Promise((resolve) => server.once('exit', resolve));
  server.kill('SIGTERM');
  assert.equal(await exited, 0, 'server exits 0 on SIGTERM');
});

// The contract: x where x > 0 or NaN (same bits), else +0.
function reluReference(x) {
  return x.map((v) => ((v > 0 || Number.isNaN(v)) ? v : (typeof v === 'bigint' ? 0n : 0)));
}

// Deterministic pseudo-random values in [-1, 1) (a fixed LCG, seed printed).
function randomFloats(n, seed) {
  let state = seed;
  return Float64Array.from({ length: n }, () => {
    state = (state * 1103515245 + 12345) % 2147483648;
    return state / 1073741824 - 1;
  });
}

function assertSameBytes(got, want) {
  assert.equal(got.constructor, want.constructor);
  assert.deepEqual(Buffer.from(got.buffer, got.byteOffset, got.byteLength),
    Buffer.from(want.buffer, want.byteOffset, want.byteLength));
}

test('relu matches the contract for every typed array and method', async () => {
  const specials = [-1.5, -0, 0, 0.25, 3, -Infinity, Infinity, NaN];
  const arrays = [Float64Array.from(specials), Float32Array.from(specials),
    Int8Array.from([-128, -1, 0, 1, 127]), Int16Array.from([-32768, -1, 0, 1, 32767]),
    Int32Array.from([-(2 ** 31), -1, 0, 1, 2 ** 31 - 1]),
    BigInt64Array.from([-(2n ** 63n), -1n, 0n, 1n, 2n ** 63n - 1n])];
  for (const x of arrays) {
    for (const method of [undefined, ...METHODS]) {
      for (const inPlace of [false, true]) {
        assertSameBytes(await client.relu(x, { method, inPlace }), reluReference(x));
      }
    }
  }
});

test('float16 and bfloat16 travel as Uint16Array bits', async () => {
  // 1, -1, NaN, -0 in each format.
  assertSameBytes(await client.relu(Uint16Array.from([0x3c00, 0xbc00, 0x7e01, 0x8000]), { dtype: 'float16' }),
    Uint16Array.from([0x3c00, 0, 0x7e01, 0]));
  assertSameBytes(await client.relu(Uint16Array.from([0x3f80, 0xbf80, 0x7fc1, 0x8000]), { dtype: 'bfloat16' }),
    Uint16Array.from([0x3f80, 0, 0x7fc1, 0]));
});

test('gradient with and without upstream', async () => {
  const x = Float32Array.from([-2, -0, 0.5, NaN, 7]);
  const g = Float32Array.from([3, 3, 3, 3, -3]);
  assertSameBytes(await client.gradient(x), Float32Array.from([0, 0, 1, 0, 1]));
  assertSameBytes(await client.gradient(x, g), Float32Array.from([0, 0, 3, 0, -3]));
});

test('streams an array larger than the unary cap', async () => {
  const seed = 20261128;
  console.log(`seed ${seed}`);
  const x = randomFloats(3 * CAP / 8, seed); // 3 MiB of float64
  const described = await client.describe();
  assert.ok(x.byteLength > described.max_message_bytes);
  assertSameBytes(await client.relu(x, { shape: [768, 512] }), reluReference(x));
  const g = randomFloats(x.length, seed + 1);
  assertSameBytes(await client.gradient(x, g), x.map((v, i) => (v > 0 ? g[i] : 0)));
});

test('results land in out, which may be x or overlap it', async () => {
  const x = randomFloats(3 * CAP / 8, 20261129); // streams above the cap
  const want = reluReference(x);
  const out = new Float64Array(x.length);
  assert.equal(await client.relu(x, { out }), out);
  assertSameBytes(out, want);
  const y = x.slice();
  assert.equal(await client.relu(y, { inPlace: true, out: y }), y);
  assertSameBytes(y, want);
  const g = randomFloats(x.length, 20261130);
  const h = g.slice();
  await client.gradient(x, h, { out: h });
  assertSameBytes(h, x.map((v, i) => (v > 0 ? g[i] : 0)));
  const buffer = randomFloats(1000, 20261131);
  const before = buffer.slice(0, 600);
  await client.relu(buffer.subarray(0, 600), { out: buffer.subarray(400) });
  assertSameBytes(buffer.slice(400), reluReference(before));
  await assert.rejects(client.relu(x, { out: new Float32Array(x.length) }),
    (e) => e instanceof TensorTransformError && e.code === grpc.status.INVALID_ARGUMENT);
});

test('streams arrays above streamAboveBytes whatever the unary limit', async () => {
  // Sent unary, 3 MiB would meet the server's 1 MiB cap.
  const streaming = new TensorTransformClient(target, { unaryLimitBytes: 2 ** 40, streamAboveBytes: CAP });
  const x = randomFloats(3 * CAP / 8, 20261132);
  assertSameBytes(await streaming.relu(x), reluReference(x));
  streaming.close();
});

test('server rejections carry their status code', async () => {
  const unaryOnly = new TensorTransformClient(target,
    { unaryLimitBytes: 2 ** 40, streamAboveBytes: 2 ** 40, chunkBytes: 1 << 20 });
  await assert.rejects(unaryOnly.relu(new Float32Array(CAP)),
    (e) => e instanceof TensorTransformError && e.code === grpc.status.RESOURCE_EXHAUSTED);
  unaryOnly.close();
});

test('bad input is refused before sending', async () => {
  for (const call of [() => client.relu(new Uint8Array(3)), () => client.relu(new Float64Array(3), { method: 'fast' }),
    () => client.relu(new Float64Array(3), { shape: [2, 2] }), () => client.relu(new Uint16Array(3)),
    () => client.gradient(new Float64Array(3), new Float32Array(3))]) {
    await assert.rejects(call(), (e) => e instanceof TensorTransformError && e.code === grpc.status.INVALID_ARGUMENT);
  }
});

test('example.js runs against the server', async () => {
  const output = await new Promise((resolve, reject) => {
    execFile(process.execPath, [path.join(__dirname, '..', 'example.js'), target],
      (error, stdout) => (error ? reject(error) : resolve(stdout)));
  });
  assert.match(output, /^relu +0 0 0\.25 3 0 NaN$/m);
  assert.match(output, /^gradient +0 0 10 10 0 0$/m);
});
