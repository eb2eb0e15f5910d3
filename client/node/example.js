// ReLU and its gradient on a Float64Array through a tensor-transform server.
//
//   node client/node/example.js [host:port]     (default 127.0.0.1:50051)
'use strict';

const { TensorTransformClient } = require('./tensor_transform');

async function main() {
  const client = new TensorTransformClient(process.argv[2] || '127.0.0.1:50051');
  try {
    const x = Float64Array.from([-1.5, -0, 0.25, 3, -Infinity, NaN]);
    const y = await client.relu(x, { shape: [2, 3], method: 'abs' });
    const dx = await client.gradient(x, Float64Array.from([10, 10, 10, 10, 10, 10]));
    console.log('relu    ', Array.from(y).join(' '));
    console.log('gradient', Array.from(dx).join(' '));
  } finally {
    client.close();
  }
}

main().catch((error) => {
  console.error(`example: ${error.message}`);
  process.exitCode = 1;
});
