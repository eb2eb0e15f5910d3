"""NumPy arrays in wire form, and where results may go."""

import numpy as np

from ._errors import invalid

# NumPy dtype -> the service's dtype name. The wire is little-endian.
DTYPES = {
    np.dtype(np.float32): "float32", np.dtype(np.float64): "float64",
    np.dtype(np.float16): "float16", np.dtype(np.int8): "int8",
    np.dtype(np.int16): "int16", np.dtype(np.int32): "int32",
    np.dtype(np.int64): "int64",
}


def wire_array(array, name, bfloat16):
    """(array as little-endian C-contiguous, dtype name). Other byte orders
    and layouts are copied once; anything else is used as it is."""
    a = np.asarray(array)
    if bfloat16 and a.dtype != np.uint16:
        raise invalid(f"{name}: bfloat16=True needs the uint16 bits, got "
                      f"{a.dtype}")
    dtype = "bfloat16" if bfloat16 else DTYPES.get(a.dtype.newbyteorder("="))
    if dtype is None:
        raise invalid(f"{name}: dtype {a.dtype} is not one of "
                      f"{sorted(str(d) for d in DTYPES)}")
    return np.asarray(a, a.dtype.newbyteorder("<"), order="C"), dtype


def result_array(out, like, name="out"):
    """`out` checked to receive a result shaped and typed as `like` (a wire
    array): a writable C-contiguous ndarray of like's shape and dtype."""
    if not isinstance(out, np.ndarray):
        raise invalid(f"{name}: {type(out).__name__}, but must be a NumPy "
                      "array")
    if (out.shape, out.dtype) != (like.shape, like.dtype):
        raise invalid(f"{name}: {out.dtype}{list(out.shape)}, but the result "
                      f"is {like.dtype}{list(like.shape)}")
    if not (out.flags.c_contiguous and out.flags.writeable):
        raise invalid(f"{name}: must be C-contiguous and writeable")
    return out


def same_memory(a, b):
    """True when a and b are the same bytes."""
    return a.ctypes.data == b.ctypes.data and a.nbytes == b.nbytes


def apart_from(array, out):
    """`array`, or a copy of it when it partly overlaps `out`: a result
    written into out must not change input not yet sent."""
    if same_memory(array, out) or not np.may_share_memory(array, out):
        return array
    return array.copy()
