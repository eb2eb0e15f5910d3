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
// bits with { dtype: 'float16' | 'bfloat16' }. Requests above the server's
// unary cap (asked once with Describe) stream in chunks. Failures reject with
// a TensorTransformError whose `code` is the gRPC status code.
'use strict';

const os = require('node:os');
const path = require('node:path');
const grpc = require('@grpc/grpc-js');
const protoLoader = require('@grpc/proto-loader');

const PROTO = path.join(__dirname, '..', '..', 'proto', 'tensor_transform.proto');
const ENVELOPE_BYTES = 4096; // a request's fields besides the tensor bytes

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

function loadService() {
  const definition = protoLoader.loadSync(PROTO, {
    keepCase: true, longs: Number, enums: String, defaults: true,
  });
  return grpc.loadPackageDefinition(definition).tensor_transform.v1;
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

class TensorTransformClient {
  // target: any gRPC target. options.roundRobin balances every call over all
  // the addresses the target resolves to (e.g. a Kubernetes headless
  // Service); options.timeoutMs is a per-call deadline.
  constructor(target, options = {}) {
    if (os.endianness() !== 'LE') throw new Error('the wire is little-endian');
    const channelOptions = {
      'grpc.max_send_message_length': -1,
      'grpc.max_receive_message_length': -1,
    };
    if (options.roundRobin) {
      channelOptions['grpc.service_config'] =
        JSON.stringify({ loadBalancingConfig: [{ round_robin: {} }] });
    }
    const { TensorTransform } = loadService();
    this.stub = new TensorTransform(target, grpc.credentials.createInsecure(), channelOptions);
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
  // server's fastest, all bit-identical), inPlace, dtype (Uint16Array only).
  async relu(x, options = {}) {
    if (options.method !== undefined && !METHODS.includes(options.method)) {
      throw invalid(`method: '${options.method}', but must be one of ${METHODS}`);
    }
    const method = options.method ? options.method.toUpperCase() : 'METHOD_UNSPECIFIED';
    const tensor = wireTensor(x, 'x', options);
    const rpc = options.inPlace ? 'ApplyInPlace' : 'Apply';
    let data;
    if (await this.streams(tensor.data.length)) {
      data = await this.stream(`${rpc}Stream`, tensor, null, method);
    } else {
      const relu = {};
      data = (await this.unary(rpc, { tensor, method, transform: { relu } })).tensor.data;
    }
    return resultLike(x, data);
  }

  // ReLU's gradient at x: 1 where x > 0, else +0; with an upstream g of the
  // same type and length: g where x > 0, else +0.
  async gradient(x, upstream, options = {}) {
    const tensor = wireTensor(x, 'x', options);
    const up = upstream ? wireTensor(upstream, 'upstream', options) : null;
    if (up && (up.dtype !== tensor.dtype || up.data.length !== tensor.data.length)) {
      throw invalid('upstream: must have the type and length of x');
    }
    const bytes = tensor.data.length + (up ? up.data.length : 0);
    let data;
    if (await this.streams(bytes)) {
      data = await this.stream('GradientStream', tensor, up, 'METHOD_UNSPECIFIED');
    } else {
      const request = { x: tensor, transform: { relu: {} } };
      if (up) request.upstream = up;
      data = (await this.unary('Gradient', request)).tensor.data;
    }
    return resultLike(x, data);
  }

  async streams(tensorBytes) {
    if (this.unaryLimit === undefined || this.chunkBytes === undefined) {
      const described = await this.describe();
      if (this.unaryLimit === undefined) this.unaryLimit = described.max_message_bytes;
      if (this.chunkBytes === undefined) {
        // A chunk is one message: it must fit under the cap too.
        this.chunkBytes = Math.min(described.recommended_chunk_bytes,
          described.max_message_bytes - ENVELOPE_BYTES);
      }
    }
    return tensorBytes + ENVELOPE_BYTES > this.unaryLimit;
  }

  // A header, then chunks of whole elements; responses are gathered as they
  // come, while writing (the server answers each chunk at once).
  stream(rpc, tensor, upstream, method) {
    const item = tensor.data.length / Math.max(1, tensor.shape.reduce((n, d) => n * d, 1));
    // A chunk message carries x's elements and as many of upstream's.
    const perElement = upstream ? 2 * item : item;
    const step = Math.max(1, Math.floor(this.chunkBytes / perElement)) * item;
    const out = Buffer.alloc(tensor.data.length);
    let received = 0;
    return new Promise((resolve, reject) => {
      const call = this.stub[rpc](this.callOptions());
      call.on('data', (response) => {
        if (received + response.data.length > out.length) {
          call.cancel();
          reject(new TensorTransformError(grpc.status.DATA_LOSS, 'stream returned too much data'));
          return;
        }
        response.data.copy(out, received);
        received += response.data.length;
      });
      call.on('error', (error) => reject(new TensorTransformError(error.code, error.details)));
      call.on('end', () => {
        if (received === out.length) resolve(out);
        else reject(new TensorTransformError(grpc.status.DATA_LOSS, `stream returned ${received} of ${out.length} bytes`));
      });
      writeChunks(call, tensor, upstream, method, step);
    });
  }
}

// Writes with backpressure: waits for 'drain' when grpc-js's buffer is full.
async function writeChunks(call, tensor, upstream, method, step) {
  const header = {
    transform: { relu: {} }, method, dtype: tensor.dtype, shape: tensor.shape,
    has_upstream: upstream !== null,
  };
  const messages = [{ header }];
  for (let i = 0; i < tensor.data.length; i += step) {
    messages.push({
      data: tensor.data.subarray(i, i + step),
      upstream: upstream ? upstream.data.subarray(i, i + step) : Buffer.alloc(0),
    });
  }
  for (const message of messages) {
    if (call.destroyed) return; // failed: the call's 'error' has rejected
    if (!call.write(message)) await drainedOrClosed(call);
  }
  call.end();
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

// The response bytes as a new typed array of x's type (aligned, writable).
function resultLike(x, data) {
  const result = new x.constructor(x.length);
  new Uint8Array(result.buffer).set(data);
  return result;
}

module.exports = { TensorTransformClient, TensorTransformError, METHODS };
