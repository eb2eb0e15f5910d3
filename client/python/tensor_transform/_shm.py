"""Shared-memory regions for the pure-Python transport, as the C++ call
library does them (client/shared_memory.h, shared_memory_registry.h,
shared_call.h): one lease per transport, held open by its streaming call;
regions created in /dev/shm (what shm_open does on Linux), registered under
the lease and unlinked once the server has mapped them; calls on arrays in a
region send references.
"""

import collections
import errno
import mmap
import os
import secrets
import threading

import grpc
import numpy as np

from . import tensor_transform_pb2 as pb

_SERVICE = "/tensor_transform.v1.TensorTransform/"
_DEV_SHM = "/dev/shm"
_DEFAULT_PREFIX = "tensor_transform_"
# Deadline of the calls that move no data (as the C++ library).
_MANAGEMENT_TIMEOUT = 10
_ERRNO_CODES = {
    errno.ENOSPC: grpc.StatusCode.RESOURCE_EXHAUSTED,
    errno.ENOMEM: grpc.StatusCode.RESOURCE_EXHAUSTED,
    errno.EACCES: grpc.StatusCode.PERMISSION_DENIED,
    errno.EPERM: grpc.StatusCode.PERMISSION_DENIED,
    errno.EEXIST: grpc.StatusCode.ALREADY_EXISTS,
}

# How a call's operands travel (shared_call.h's SharedCallPlan): the RPC,
# references (pb.SharedMemoryRef or None) and whether the response carries
# the result's bytes.
Plan = collections.namedtuple(
    "Plan", ["rpc", "x", "upstream", "output", "result_inline"])


class _NoLease(Exception):
    """The lease call ended without its token."""


def address(array):
    return array.__array_interface__["data"][0]


class Region:
    """A registered region's mapping, exposed to NumPy; unregistered when the
    last array on it is gone."""

    def __init__(self, registry, name, key, mapping):
        self._registry = registry
        self.name = name
        self.key = key
        self._bytes = np.frombuffer(mapping, np.uint8)  # keeps the mapping
        self.__array_interface__ = {
            "shape": self._bytes.shape, "typestr": "|u1", "version": 3,
            "data": (address(self._bytes), False)}

    def __del__(self):
        try:
            self._registry.unregister(self.name)
        except Exception:  # at interpreter exit gRPC may be gone: the lease
            pass           # ends with the process anyway


class Registry:
    """The lease, the regions and where arrays lie. Thread-safe."""

    def __init__(self, channel):
        def unary(name, request, response):
            return channel.unary_unary(
                _SERVICE + name, request_serializer=request.SerializeToString,
                response_deserializer=response.FromString)
        self._lease_rpc = channel.unary_stream(
            _SERVICE + "SystemSharedMemoryLease",
            request_serializer=pb.SystemSharedMemoryLeaseRequest
            .SerializeToString,
            response_deserializer=pb.SystemSharedMemoryLeaseResponse.FromString)
        self._register = unary("SystemSharedMemoryRegister",
                               pb.SystemSharedMemoryRegisterRequest,
                               pb.SystemSharedMemoryRegisterResponse)
        self._unregister = unary("SystemSharedMemoryUnregister",
                                 pb.SystemSharedMemoryUnregisterRequest,
                                 pb.SystemSharedMemoryUnregisterResponse)
        self._describe = unary("Describe", pb.DescribeRequest,
                               pb.DescribeResponse)
        self._lock = threading.Lock()  # the lease and the prefix
        self._lease = None             # (call, token)
        self._prefix = None
        self._regions_lock = threading.Lock()
        self._regions = {}             # name -> (start address, size)

    def create(self, nbytes):
        """(code, details, Region): a new registered region, or the status
        that refused it."""
        try:
            return 0, "", self._create(nbytes)
        except grpc.RpcError as e:
            return e.code().value[0], e.details(), None
        except _NoLease as e:
            return grpc.StatusCode.UNAVAILABLE.value[0], str(e), None
        except OSError as e:
            code = _ERRNO_CODES.get(e.errno, grpc.StatusCode.INTERNAL)
            return code.value[0], (f"{e} (a container's /dev/shm holds 64 "
                                   "MiB unless sized)"), None

    def _create(self, nbytes):
        with self._lock:
            if self._prefix is None:
                prefix = self._describe(pb.DescribeRequest(),
                                        timeout=_MANAGEMENT_TIMEOUT
                                        ).shared_memory_prefix
                self._prefix = prefix or _DEFAULT_PREFIX
            token = self._token()  # a server that refuses says so first
            suffix = secrets.token_hex(16)
            key = self._prefix + suffix
            mapping = _create_and_map(key, nbytes)
            name = "tt_" + suffix
            try:
                self._register(pb.SystemSharedMemoryRegisterRequest(
                    name=name, key=key, offset=0, byte_size=nbytes,
                    lease=token), timeout=_MANAGEMENT_TIMEOUT)
            finally:
                # The server has the object mapped, or refused it: its name
                # is no longer needed, and nothing stays in /dev/shm.
                os.unlink(os.path.join(_DEV_SHM, key))
            region = Region(self, name, key, mapping)
            with self._regions_lock:
                self._regions[name] = (address(region._bytes), nbytes)
            return region

    def _token(self):
        """The open lease's token, opening one if needed (with _lock)."""
        if self._lease is not None and self._lease[0].done():
            self._lease = None  # the server ended it, taking its regions
        if self._lease is None:
            call = self._lease_rpc(pb.SystemSharedMemoryLeaseRequest())
            first = next(call, None)  # raises the server's refusal
            if first is None:
                raise _NoLease("SystemSharedMemoryLease ended without a "
                               "lease")
            self._lease = (call, first.lease)
        return self._lease[1]

    def unregister(self, name):
        with self._regions_lock:
            if self._regions.pop(name, None) is None:
                return  # gone with its lease
        with self._lock:
            if self._lease is None or self._lease[0].done():
                return
            self._unregister(pb.SystemSharedMemoryUnregisterRequest(
                name=name, lease=self._lease[1]), timeout=_MANAGEMENT_TIMEOUT)

    def find(self, array):
        """The reference to `array`'s memory when all of it lies in one
        region, else None."""
        if array is None or array.nbytes == 0 or not self._regions:
            return None
        start = address(array)
        with self._regions_lock:
            for name, (base, size) in self._regions.items():
                if base <= start and start + array.nbytes <= base + size:
                    return pb.SharedMemoryRef(region=name, offset=start - base,
                                              byte_size=array.nbytes)
        return None

    def plan(self, rpc, x, upstream, out, stream):
        """The Plan of a call, or None when its operands travel as bytes:
        none lies in a region, or the call streams and one lies outside."""
        x_ref, upstream_ref, out_ref = (self.find(a) for a in (x, upstream,
                                                                out))
        refs = [r is not None for r in (x_ref, upstream_ref, out_ref)]
        every = refs[0] and (upstream is None or refs[1]) and refs[2]
        if not any(refs) or (stream and not every):
            return None
        if rpc == "inplace" and refs[0] and address(x) == address(out):
            return Plan("inplace", x_ref, upstream_ref, None, False)
        return Plan("apply" if rpc == "inplace" else rpc, x_ref,
                    upstream_ref, out_ref, out_ref is None)

    def close(self):
        """Ends the lease: the server drops every region of it."""
        with self._lock:
            lease, self._lease = self._lease, None
        if lease is not None:
            lease[0].cancel()
        with self._regions_lock:
            self._regions.clear()


def _create_and_map(key, nbytes):
    """POSIX shared-memory object `key` (as shm_open creates it: in
    /dev/shm, O_EXCL, mode 0600) of nbytes allocated bytes, mapped."""
    path = os.path.join(_DEV_SHM, key)
    fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_RDWR | os.O_NOFOLLOW |
                 os.O_CLOEXEC, 0o600)
    try:
        # Allocated now: a /dev/shm too small fails here, not with SIGBUS
        # at the first write.
        os.posix_fallocate(fd, 0, nbytes)
        # MAP_POPULATE (Python 3.10+): mapped now, not page by page.
        flags = mmap.MAP_SHARED | getattr(mmap, "MAP_POPULATE", 0)
        return mmap.mmap(fd, nbytes, flags, mmap.PROT_READ | mmap.PROT_WRITE)
    except OSError:
        os.unlink(path)
        raise
    finally:
        os.close(fd)
