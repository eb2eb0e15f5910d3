// Node client for the tensor-transform gRPC service: ReLU and its gradient on
// typed arrays, over @grpc/grpc-js with the .proto loaded at run time.
//
//   const { TensorTransformClient } = require('./tensor_transform');
//   const client = new TensorTransformClient('127.0.0.1:50051');
//   const y = await client.relu(Float64Array.from([-1.5, 0, 2.5]));
//   // Float64Array [0, 0, 2.5]
//   client.close();
//
// Float32Array, Float64Array, Int8Array, Int16Array, Int32Array and
// BigInt64Array map to their dtypes; a Uint16Array holds float16 or bfloat16
// bits with { dtype: 'float16' | 'bfloat16' }. Requests above 8 MiB or the
// server's unary cap (asked once with Describe) stream in chunks framed by
// wire.js: each chunk is copied once into its message and each response's
// data once into the result (protobufjs would copy both ways again). The
// result is a new typed array, or options.out. Failures reject with a
// TensorTransformError whose `code` is the gRPC status code.
'use strict';

const os = require('node:os');
const path = require('node:path');
const grpc = require('@grpc/grpc-js');
const protoLoader = require('@grpc/proto-loader');
const wire = require('./wire');

const PROTO = path.join(__dirname, '..', '..', 'proto', 'tensor_transform.proto');
const ENVELOPE_BYTES = 4096; // a request's fields besides the tensor bytes
const STREAM_ABOVE_BYTES = 8 << 20;
const FLOW_CONTROL_WINDOW = 16 << 20;
// Streamed chunks are at least this large, whatever the server recommends:
// grpc-js pays per message (its events, the Buffer.concat of each message's
// HTTP/2 frames), and 200 MB ApplyInPlace in 4 MiB chunks took a median 596
// ms against 772 ms in the server's 1 MiB (six runs each, interleaved, on the
// busy 2-core machine).
const MIN_CHUNK_BYTES = 4 << 20;
const SERVICE = 'tensor_transform.v1.TensorTransform';

const DTYPES = new Map([
  [Float32Array, 'FLOAT32'], [Float64Array, 'FLOAT64'], [Int8Array, 'INT8'],
  [Int16Array, 'INT16'], [Int32Array, 'INT32'], [BigInt64Array, 'INT64'],
]);
const UINT16_DTYPES = { float16: 'FLOAT16', bfloat16: 'BFLOAT16' };
const METHODS = ['maximum', 'multiply', 'abs', 'masked'];

class TensorTransformError extends Error {
  constructor(code, details) {
    super(`${grpc.status[code]}: ${details}`);
    this.name = 'TensorTransformError';
    this.code = code; // a grpc.status value
    this.details = details;
  }
}

function invalid(details) {
  return new TensorTransformError(grpc.status.INVALID_ARGUMENT, details);
}

// The package definition (its methods' serializers) and the service's
// client class.
function loadService() {
  const definition = protoLoader.loadSync(PROTO, {
    keepCase: true, longs: Number, enums: String, defaults: true,
  });
  return {
    methods: definition[SERVICE],
    TensorTransform: grpc.loadPackageDefinition(definition).tensor_transform.v1.TensorTransform,
  };
}

// The wire form of one typed array: dtype, shape, bytes (a view, no copy).
function wireTensor(array, name, options) {
  let dtype = DTYPES.get(array.constructor);
  if (array instanceof Uint16Array) dtype = UINT16_DTYPES[options.dtype];
  if (!dtype) {
    throw invalid(`${name}: ${array.constructor.name}` +
      (array instanceof Uint16Array ? ' needs dtype float16|bfloat16' : ' is not supported'));
  }
  const shape = options.shape || [array.length];
  if (shape.reduce((n, d) => n * d, 1) !== array.length) {
    throw invalid(`${name}: ${array.length} elements, but shape [${shape}] needs another count`);
  }
  const data = Buffer.from(array.buffer, array.byteOffset, array.byteLength);
  return { dtype, shape, data };
}

// The typed array a result lands in (options.out, checked, or a new one)
// and its bytes.
function resultFor(x, options) {
  const out = options.out || new x.constructor(x.length);
  if (out.constructor !== x.constructor || out.length !== x.length) {
    throw invalid(`out: ${out.constructor.name}(${out.length}), but x is ${x.constructor.name}(${x.length})`);
  }
  return { out, bytes: Buffer.from(out.buffer, out.byteOffset, out.byteLength) };
}

// x's wire tensor, its data copied when it partly overlaps the result's
// bytes: results written as they arrive must not change data not yet sent.
function apart(tensor, result) {
  const [a, b] = [tensor.data, result.bytes];
  const overlap = a.buffer === b.buffer && a.byteOffset < b.byteOffset + b.length &&
    b.byteOffset < a.byteOffset + a.length;
  const same = a.byteOffset === b.byteOffset && a.length === b.length;
  return overlap && !same ? { ...tensor, data: Buffer.from(a) } : tensor;
}

class TensorTransformClient {
  // target: any gRPC target. options.roundRobin balances every call over all
  // the addresses the target resolves to (e.g. a Kubernetes headless
  // Service); options.timeoutMs is a per-call deadline; requests above
  // options.streamAboveBytes (default 8 MiB) stream even below the cap.
  constructor(target, options = {}) {
    if (os.endianness() !== 'LE') throw new Error('the wire is little-endian');
    const channelOptions = {
      'grpc.max_send_message_length': -1,
      'grpc.max_receive_message_length': -1,
      // Retries would keep every message sent until the call commits.
      'grpc.enable_retries': 0,
      // HTTP/2's default window, 64 KiB, lets the server send only that much
      // before it waits a round trip for the client's window update.
      'grpc-node.flow_control_window': FLOW_CONTROL_WINDOW,
    };
    if (options.roundRobin) {
      channelOptions['grpc.service_config'] =
        JSON.stringify({ loadBalancingConfig: [{ round_robin: {} }] });
    }
    const { methods, TensorTransform } = loadService();
    this.methods = methods;
    this.stub = new TensorTransform(target, grpc.credentials.createInsecure(), channelOptions);
    this.streamAbove = options.streamAboveBytes ?? STREAM_ABOVE_BYTES;
    this.timeoutMs = options.timeoutMs;
    this.unaryLimit = options.unaryLimitBytes;
    this.chunkBytes = options.chunkBytes;
  }

  close() { this.stub.close(); }

  callOptions() {
    return this.timeoutMs ? { deadline: Date.now() + this.timeoutMs } : {};
  }

  unary(rpc, request) {
    return new Promise((resolve, reject) => {
      this.stub[rpc](request, this.callOptions(), (error, reply) => {
        if (error) reject(new TensorTransformError(error.code, error.details));
        else resolve(reply);
      });
    });
  }

  describe() { return this.unary('Describe', {}); }

  // relu(x): x where x > 0 or NaN, else +0. options: shape (default
  // [x.length]), method ('maximum'|'multiply'|'abs'|'masked'; default the
  // server's fastest, all bit-identical), inPlace (the server's in-place
  // RPC), out (a typed array of x's type and length for the result; may be
  // x), dtype (Uint16Array only).
  async relu(x, options = {}) {
    if (options.method !== undefined && !METHODS.includes(options.method)) {
      throw invalid(`method: '${options.method}', but must be one of ${METHODS}`);
    }
    const method = options.method ? options.method.toUpperCase() : 'METHOD_UNSPECIFIED';
    const result = resultFor(x, options);
    const tensor = apart(wireTensor(x, 'x', options), result);
    const rpc = options.inPlace ? 'ApplyInPlace' : 'Apply';
    if (await this.streams(tensor.data.length)) {
      await this.stream(`${rpc}Stream`, tensor, null, method, result.bytes);
    } else {
      const relu = {};
      const reply = await this.unary(rpc, { tensor, method, transform: { relu } });
      fill(result.bytes, reply.tensor.data);
    }
    return result.out;
  }

  // ReLU's gradient at x: 1 where x > 0, else +0; with an upstream g of the
  // same type and length: g where x > 0, else +0. options as for relu.
  async gradient(x, upstream, options = {}) {
    const result = resultFor(x, options);
    const tensor = apart(wireTensor(x, 'x', options), result);
    const up = upstream ? apart(wireTensor(upstream, 'upstream', options), result) : null;
    if (up && (up.dtype !== tensor.dtype || up.data.length !== tensor.data.length)) {
      throw invalid('upstream: must have the type and length of x');
    }
    const bytes = tensor.data.length + (up ? up.data.length : 0);
    if (await this.streams(bytes)) {
      await this.stream('GradientStream', tensor, up, 'METHOD_UNSPECIFIED', result.bytes);
    } else {
      const request = { x: tensor, transform: { relu: {} } };
      if (up) request.upstream = up;
      fill(result.bytes, (await this.unary('Gradient', request)).tensor.data);
    }
    return result.out;
  }

  async streams(tensorBytes) {
    if (this.unaryLimit === undefined || this.chunkBytes === undefined) {
      const described = await this.describe();
      if (this.unaryLimit === undefined) this.unaryLimit = described.max_message_bytes;
      if (this.chunkBytes === undefined) {
        // A chunk is one message: it must fit under the cap too.
        this.chunkBytes = Math.min(
          Math.max(described.recommended_chunk_bytes, MIN_CHUNK_BYTES),
          described.max_message_bytes - ENVELOPE_BYTES);
      }
    }
    return tensorBytes + ENVELOPE_BYTES > this.unaryLimit || tensorBytes > this.streamAbove;
  }

  // A header, then chunks of whole elements; each response's data is copied
  // into `out` as it comes, while writing (the server answers each chunk at
  // once).
  stream(rpc, tensor, upstream, method, out) {
    const item = tensor.data.length / Math.max(1, tensor.shape.reduce((n, d) => n * d, 1));
    // A chunk message carries x's elements and as many of upstream's.
    const perElement = upstream ? 2 * item : item;
    const step = Math.max(1, Math.floor(this.chunkBytes / perElement)) * item;
    const header = this.methods[rpc].requestSerialize({
      header: {
        transform: { relu: {} }, method, dtype: tensor.dtype, shape: tensor.shape,
        has_upstream: upstream !== null,
      },
    });
    let received = 0;
    return new Promise((resolve, reject) => {
      const call = this.stub.makeBidiStreamRequest(`/${SERVICE}/${rpc}`, (message) => message,
        (message) => wire.fields(message).get(1) || Buffer.alloc(0), this.callOptions());
      call.on('data', (data) => {
        if (received + data.length > out.length) {
          call.cancel();
          reject(new TensorTransformError(grpc.status.DATA_LOSS, 'stream returned too much data'));
          return;
        }
        data.copy(out, received);
        received += data.length;
      });
      call.on('error', (error) => reject(new TensorTransformError(error.code, error.details)));
      call.on('end', () => {
        if (received === out.length) resolve();
        else reject(new TensorTransformError(grpc.status.DATA_LOSS, `stream returned ${received} of ${out.length} bytes`));
      });
      writeChunks(call, header, tensor.data, upstream && upstream.data, step);
    });
  }
}

// Chunk messages are built in a few Buffers used in turn: grpc-js calls a
// write's callback once it has copied the message into its own frame, so
// the Buffer may then take the next chunk. Fresh Buffers per chunk would
// add a payload's worth of garbage per call, and V8 answers that much
// external memory with major collections.
const WRITE_SLOTS = 4;

async function writeChunks(call, header, data, upstream, step) {
  const slots = Array.from({ length: WRITE_SLOTS }, () => ({
    bytes: Buffer.allocUnsafe(Math.min(step, data.length) * (upstream ? 2 : 1) + 20),
    written: Promise.resolve(),
  }));
  // A failed call may never call back.
  const closed = new Promise((resolve) => { call.once('close', resolve); });
  if (!call.write(header)) await drainedOrClosed(call);
  for (let i = 0, n = 0; i < data.length; i += step, n++) {
    const slot = slots[n % WRITE_SLOTS];
    await Promise.race([slot.written, closed]);
    if (call.destroyed) return; // failed: the call's 'error' has rejected
    const length = frame(slot.bytes, data.subarray(i, i + step), upstream && upstream.subarray(i, i + step));
    let done;
    slot.written = new Promise((resolve) => { done = resolve; });
    if (!call.write(slot.bytes.subarray(0, length), done)) await drainedOrClosed(call);
  }
  call.end();
}

// Writes into `out` a StreamRequest with `chunk` as data (and `upstream`'s
// chunk); returns its length.
function frame(out, chunk, upstream) {
  let at = 0;
  for (const [field, bytes] of [[1, chunk], [2, upstream]]) {
    if (!bytes) continue;
    at += wire.lengthHeader(field, bytes.length).copy(out, at);
    at += bytes.copy(out, at);
  }
  return at;
}

function drainedOrClosed(call) {
  return new Promise((done) => {
    const finish = () => {
      call.off('drain', finish);
      call.off('close', finish);
      done();
    };
    call.on('drain', finish);
    call.on('close', finish);
  });
}

// Copies a unary response's data into the result's bytes.
function fill(bytes, data) {
  if (data.length !== bytes.length) {
    throw new TensorTransformError(grpc.status.DATA_LOSS,
      `the response holds ${data.length} bytes, but the request sent ${bytes.length}`);
  }
  data.copy(bytes);
}

module.exports = { TensorTransformClient, TensorTransformError, METHODS };
