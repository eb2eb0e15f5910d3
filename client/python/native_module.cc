// tensor_transform._native: the Python package's native transport, calling
// through the C++ client library (client/tensor_client.h) on the arrays' own
// memory. The package's Client (tensor_transform/__init__.py) validates and
// prepares the arrays; this module only moves bytes.
//
//   t = _native.Transport("127.0.0.1:50051")
//   code, details, method, compute_ns = t.call(
//       "apply", None, "float64", [3], x, None, out, False, 1 << 20, None)
//
// x and upstream are sent from their buffers without a copy and the result
// is written into out's; the buffers are held (their owners kept alive) and
// the GIL released for the whole call, so any number of Python threads may
// call one Transport at once. Buffers inside a Region of the transport
// (t.shared_region(nbytes)) are sent as references to it.
#include <Python.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <cstdint>
#include <limits>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "absl/types/span.h"
#include "client/shared_memory.h"
#include "client/shared_memory_registry.h"
#include "client/tensor_client.h"
#include "core/types.h"
#include "proto/wire.h"

namespace tensor_transform::client::python {
namespace {

namespace py = pybind11;
namespace v1 = ::tensor_transform::v1;

// A C-contiguous view of a Python object's memory; holding it keeps the
// object alive and its memory in place. Create and destroy it with the GIL.
class HeldBuffer {
 public:
  HeldBuffer(py::handle object, bool writable) {
    const int flags = PyBUF_C_CONTIGUOUS | (writable ? PyBUF_WRITABLE : 0);
    if (PyObject_GetBuffer(object.ptr(), &view_, flags) != 0) {
      throw py::error_already_set();
    }
  }
  HeldBuffer(const HeldBuffer&) = delete;
  HeldBuffer& operator=(const HeldBuffer&) = delete;
  ~HeldBuffer() { PyBuffer_Release(&view_); }

  absl::Span<uint8_t> bytes() const {
    return {static_cast<uint8_t*>(view_.buf), static_cast<size_t>(view_.len)};
  }

 private:
  Py_buffer view_;
};

absl::Duration Timeout(std::optional<double> seconds) {
  return seconds ? absl::Seconds(*seconds) : absl::InfiniteDuration();
}

template <typename T, typename Parse>
T Parsed(const std::string& what, const std::string& name, Parse parse) {
  const std::optional<T> value = parse(name);
  if (!value) throw py::value_error(absl::StrCat("unknown ", what, " ", name));
  return *value;
}

// The call of `rpc` ("apply", "inplace", "gradient"), `method` (a core
// method name; None: the server's choice) on `dtype` (a core dtype name).
CallSpec Spec(const std::string& rpc, const std::optional<std::string>& method,
              const std::string& dtype, std::vector<int64_t> shape, bool stream,
              int64_t chunk_bytes) {
  CallSpec spec;
  spec.rpc = Parsed<Rpc>("rpc", rpc, ParseRpc);
  if (method) {
    spec.method = Parsed<core::Method>("method", *method, core::ParseMethod);
  }
  spec.dtype = Parsed<core::DType>("dtype", dtype, core::ParseDType);
  spec.shape = std::move(shape);
  spec.mode = stream ? Mode::kStream : Mode::kUnary;
  spec.chunk_bytes = chunk_bytes;
  return spec;
}

// The core name of a wire method; None for METHOD_UNSPECIFIED or one this
// build does not know.
py::object MethodName(v1::Method method) {
  const absl::StatusOr<std::optional<core::Method>> parsed =
      wire::MethodFromProto(method, "method");
  if (!parsed.ok() || !*parsed) return py::none();
  return py::str(std::string(core::MethodName(**parsed)));
}

py::list DTypeNames(const v1::DescribeResponse& response) {
  py::list names;
  for (int dtype : response.dtypes()) {
    const absl::StatusOr<core::DType> parsed =
        wire::DTypeFromProto(static_cast<v1::DType>(dtype), "dtypes");
    if (parsed.ok()) names.append(std::string(core::DTypeName(*parsed)));
  }
  return names;
}

// DescribeResponse as the package's Description fields, with core names.
py::dict DescribeFields(const v1::DescribeResponse& response) {
  py::dict rpc_methods;
  for (const v1::DescribeResponse::RpcMethods& entry : response.rpc_methods()) {
    py::list methods;
    for (int method : entry.methods()) {
      methods.append(MethodName(static_cast<v1::Method>(method)));
    }
    rpc_methods[py::str(entry.rpc())] = methods;
  }
  py::dict fields;
  fields["transforms"] = std::vector<std::string>(response.transforms().begin(),
                                                  response.transforms().end());
  fields["dtypes"] = DTypeNames(response);
  fields["rpc_methods"] = rpc_methods;
  fields["default_method"] = MethodName(response.default_method());
  fields["max_message_bytes"] = response.max_message_bytes();
  fields["max_rank"] = response.max_rank();
  fields["max_stream_elements"] = response.max_stream_elements();
  fields["recommended_chunk_bytes"] = response.recommended_chunk_bytes();
  return fields;
}

// gRPC's BDP probing (its default) is off: with it the connection window
// grew to tens of MiB that the server filled ahead of the client, and the
// heap grew call after call (peak RSS 448-528 MiB over repeated 200 MB
// Applies, past x + result + 64 MiB). Without it, gRPC 1.51 holds the
// connection window at 64 KiB beyond the response message being read, so
// streams flow a message at a time and trail the C++ client's by ~20%; no
// stream window, frame or chunk size changes that (docs/python.md, Memory).
std::shared_ptr<grpc::Channel> Channel(const std::string& target) {
  grpc::ChannelArguments args;
  args.SetInt(GRPC_ARG_HTTP2_BDP_PROBE, 0);
  return MakeChannel(target, std::numeric_limits<int>::max(), nullptr,
                     std::move(args));
}

class Transport {
 public:
  explicit Transport(const std::string& target) : client_(Channel(target)) {}

  // (code, details, region): a new registered Region of `nbytes` bytes, or
  // None and the status that refused it. The Region exposes its memory to
  // NumPy (the buffer protocol); arrays made on it keep it alive, and it
  // unregisters itself when the last of them goes.
  py::tuple SharedRegion(size_t nbytes) {
    absl::StatusOr<std::unique_ptr<SharedMemoryRegion>> region;
    {
      py::gil_scoped_release release;
      region = SharedMemoryRegion::Create(client_, nbytes);
    }
    if (!region.ok()) {
      return py::make_tuple(static_cast<int>(region.status().code()),
                            std::string(region.status().message()), py::none());
    }
    return py::make_tuple(0, "", py::cast(*std::move(region)));
  }

  // Whether all of `array`'s memory lies in one region of this transport.
  bool InRegion(py::handle array) {
    const HeldBuffer buffer(array, /*writable=*/false);
    return client_.shared_memory()->Find(buffer.bytes()).has_value();
  }

  // Ends the shared-memory lease: the server drops this transport's
  // regions, whose memory stays this process's until its arrays go.
  void Close() {
    py::gil_scoped_release release;
    client_.shared_memory()->Close();
  }

  // (code, details, method, server_compute_ns): code 0 and the method the
  // server used on success; the gRPC status code and message otherwise.
  py::tuple Call(const std::string& rpc,
                 const std::optional<std::string>& method,
                 const std::string& dtype, std::vector<int64_t> shape,
                 py::handle x, py::object upstream, py::handle out, bool stream,
                 int64_t chunk_bytes, std::optional<double> timeout) {
    const CallSpec spec =
        Spec(rpc, method, dtype, std::move(shape), stream, chunk_bytes);
    const HeldBuffer x_buffer(x, /*writable=*/false);
    const HeldBuffer out_buffer(out, /*writable=*/true);
    std::optional<HeldBuffer> upstream_buffer;
    if (!upstream.is_none()) upstream_buffer.emplace(upstream, false);
    const CallBuffers buffers{
        x_buffer.bytes(),
        upstream_buffer ? upstream_buffer->bytes() : absl::Span<uint8_t>(),
        out_buffer.bytes()};
    CallResult result;
    absl::Status status;
    {
      py::gil_scoped_release release;
      status = client_.CallInto(spec, buffers, &result, {Timeout(timeout)});
    }
    return py::make_tuple(static_cast<int>(status.code()),
                          std::string(status.message()),
                          MethodName(result.method), result.server_compute_ns);
  }

  // (code, details, fields): fields as DescribeFields, None on failure.
  py::tuple Describe(std::optional<double> timeout) {
    absl::StatusOr<v1::DescribeResponse> response;
    {
      py::gil_scoped_release release;
      response = client_.Describe(Timeout(timeout));
    }
    if (!response.ok()) {
      return py::make_tuple(static_cast<int>(response.status().code()),
                            std::string(response.status().message()),
                            py::none());
    }
    return py::make_tuple(0, "", DescribeFields(*response));
  }

 private:
  TensorClient client_;
};

}  // namespace
}  // namespace tensor_transform::client::python

PYBIND11_MODULE(_native, m) {
  namespace py = pybind11;
  using tensor_transform::client::python::Transport;
  m.doc() = "tensor_transform's native transport (the C++ client library)";
  using tensor_transform::client::SharedMemoryRegion;
  py::class_<SharedMemoryRegion>(m, "Region", py::buffer_protocol())
      .def_buffer([](SharedMemoryRegion& region) {
        const absl::Span<uint8_t> bytes = region.bytes();
        return py::buffer_info(bytes.data(),
                               static_cast<py::ssize_t>(bytes.size()),
                               /*readonly=*/false);
      })
      .def_property_readonly("name", &SharedMemoryRegion::name)
      .def_property_readonly("key", &SharedMemoryRegion::key);
  py::class_<Transport>(m, "Transport")
      .def(py::init<const std::string&>(), py::arg("target"))
      .def("shared_region", &Transport::SharedRegion, py::arg("nbytes"))
      .def("in_region", &Transport::InRegion, py::arg("array"))
      .def("close", &Transport::Close)
      .def("call", &Transport::Call, py::arg("rpc"), py::arg("method"),
           py::arg("dtype"), py::arg("shape"), py::arg("x"),
           py::arg("upstream"), py::arg("out"), py::arg("stream"),
           py::arg("chunk_bytes"), py::arg("timeout"))
      .def("describe", &Transport::Describe, py::arg("timeout"));
}
