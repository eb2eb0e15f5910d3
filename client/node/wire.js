// Protobuf framing of the payload fields of streamed messages. The tensor
// bytes are nearly all of a message; protobufjs would copy them into its own
// objects and out again, so they are framed here (as proto/tensor_slices.h
// does in C++) and protobufjs encodes only the small fields: a message may
// hold its fields in any order.
'use strict';

const VARINT = 0;
const FIXED64 = 1;
const LENGTH = 2;
const FIXED32 = 5;

function varint(value) {
  const bytes = [];
  while (value > 0x7f) {
    bytes.push((value % 128) | 0x80);
    value = Math.floor(value / 128);
  }
  bytes.push(value);
  return bytes;
}

// The tag and length that precede a length-delimited field's bytes.
function lengthHeader(field, length) {
  return Buffer.from([...varint(field * 8 + LENGTH), ...varint(length)]);
}

class Malformed extends Error {}

function readVarint(buffer, at) {
  let value = 0;
  for (let scale = 1; at < buffer.length && scale < 2 ** 70; scale *= 128) {
    const byte = buffer[at++];
    value += (byte & 0x7f) * scale;
    if (byte < 0x80) return [value, at];
  }
  throw new Malformed(`the response is not valid protobuf (at byte ${at})`);
}

// Map of field number -> value of a message's top-level fields: a Number
// for varint and fixed fields (exact below 2^53), a view into `buffer` (no
// copy) for length-delimited ones; the last occurrence wins, as in protobuf.
function fields(buffer) {
  const found = new Map();
  let at = 0;
  while (at < buffer.length) {
    let tag;
    let value;
    [tag, at] = readVarint(buffer, at);
    const kind = tag % 8;
    if (kind === VARINT) {
      [value, at] = readVarint(buffer, at);
    } else if (kind === LENGTH) {
      let length;
      [length, at] = readVarint(buffer, at);
      value = buffer.subarray(at, at + length);
      at += length;
    } else if (kind === FIXED64 && at + 8 <= buffer.length) {
      value = Number(buffer.readBigUInt64LE(at));
      at += 8;
    } else if (kind === FIXED32 && at + 4 <= buffer.length) {
      value = buffer.readUInt32LE(at);
      at += 4;
    } else {
      throw new Malformed(`the response is not valid protobuf (at byte ${at})`);
    }
    if (at > buffer.length) throw new Malformed('the response is not valid protobuf (truncated)');
    found.set(Math.floor(tag / 8), value);
  }
  return found;
}

module.exports = { lengthHeader, fields, Malformed };
