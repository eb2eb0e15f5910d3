"""Protobuf framing of the payload fields, for the pure-Python transport.

The tensor bytes are nearly all of a message. Going through protobuf's
Python messages costs several payload-sized copies each way, so the payload
fields are framed here (as proto/tensor_slices.h does in C++) and protobuf
encodes only the small fields: a message may hold its fields in any order.
"""

_VARINT, _FIXED64, _LENGTH, _FIXED32 = 0, 1, 2, 5


def _varint(value):
    out = bytearray()
    while value > 0x7F:
        out.append(value & 0x7F | 0x80)
        value >>= 7
    out.append(value)
    return bytes(out)


def length_header(field, length):
    """The tag and length that precede a length-delimited field's bytes."""
    return _varint(field << 3 | _LENGTH) + _varint(length)


class DataLoss(Exception):
    """A response that does not parse, or holds another amount of data than
    was sent."""


def _malformed(at):
    return DataLoss(f"the response is not valid protobuf (at byte {at})")


def _read_varint(data, at):
    value, shift = 0, 0
    while True:
        if at >= len(data) or shift > 63:
            raise _malformed(at)
        byte = data[at]
        value |= (byte & 0x7F) << shift
        at, shift = at + 1, shift + 7
        if byte < 0x80:
            return value, at


def fields(message):
    """{field number: value} of a message's top-level fields: an int for a
    varint or fixed field, a memoryview into `message` (no copy) for a
    length-delimited one; the last occurrence wins, as in protobuf."""
    data = memoryview(message).cast("B")
    found, at = {}, 0
    while at < len(data):
        tag, at = _read_varint(data, at)
        kind = tag & 7
        if kind == _VARINT:
            value, at = _read_varint(data, at)
        elif kind == _LENGTH:
            length, at = _read_varint(data, at)
            value, at = data[at:at + length], at + length
        elif kind in (_FIXED64, _FIXED32):
            size = 8 if kind == _FIXED64 else 4
            value, at = int.from_bytes(data[at:at + size], "little"), at + size
        else:
            raise _malformed(at)
        if at > len(data):
            raise _malformed(len(data))
        found[tag >> 3] = value
    return found
