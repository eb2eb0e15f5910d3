#include "client/data/npy_io.h"

#include <fstream>
#include <optional>
#include <stdexcept>
#include <utility>

#include "absl/strings/str_cat.h"
#include "xtensor/xnpy.hpp"

namespace tensor_transform::client {
namespace {

// NumPy typestrings: one-byte types carry no byte order ('|').
constexpr std::pair<core::DType, const char*> kTypestrings[] = {
    {core::DType::kFloat16, "<f2"}, {core::DType::kFloat32, "<f4"},
    {core::DType::kFloat64, "<f8"}, {core::DType::kInt8, "|i1"},
    {core::DType::kInt16, "<i2"},   {core::DType::kInt32, "<i4"},
    {core::DType::kInt64, "<i8"}};

std::optional<core::DType> DTypeOf(const std::string& typestring) {
  for (const auto& [dtype, name] : kTypestrings) {
    if (typestring == name) return dtype;
  }
  return std::nullopt;
}

const char* TypestringOf(core::DType dtype) {
  for (const auto& [d, name] : kTypestrings) {
    if (d == dtype) return name;
  }
  return nullptr;
}

}  // namespace

absl::StatusOr<NpyArray> ReadNpy(const std::string& path) {
  std::ifstream stream(path, std::ios::binary);
  if (!stream) return absl::NotFoundError(absl::StrCat(path, ": cannot open"));
  try {
    xt::detail::npy_file file = xt::detail::load_npy_file(stream);
    if (!stream) {
      return absl::InvalidArgumentError(
          absl::StrCat(path, ": shorter than its header announces"));
    }
    const std::optional<core::DType> dtype = DTypeOf(file.m_typestring);
    if (!dtype) {
      return absl::InvalidArgumentError(absl::StrCat(
          path, ": dtype '", file.m_typestring,
          "' is not supported (little-endian f2/f4/f8/i1/i2/i4/i8)"));
    }
    if (file.m_fortran_order && file.m_shape.size() > 1) {
      return absl::InvalidArgumentError(absl::StrCat(
          path,
          ": Fortran order; save a C-order array (np.ascontiguousarray)"));
    }
    NpyArray array{*dtype,
                   {file.m_shape.begin(), file.m_shape.end()},
                   std::string(file.ptr(), file.n_bytes())};
    return array;
  } catch (const std::exception& e) {
    return absl::InvalidArgumentError(absl::StrCat(path, ": ", e.what()));
  }
}

absl::Status WriteNpy(const std::string& path, const NpyArray& array) {
  const char* typestring = TypestringOf(array.dtype);
  if (typestring == nullptr) {
    return absl::InvalidArgumentError(absl::StrCat(
        core::DTypeName(array.dtype), " has no .npy representation"));
  }
  std::ofstream stream(path, std::ios::binary);
  const std::vector<size_t> shape(array.shape.begin(), array.shape.end());
  xt::detail::write_header(stream, typestring, false, shape);
  stream.write(array.data.data(),
               static_cast<std::streamsize>(array.data.size()));
  stream.close();
  if (!stream)
    return absl::UnavailableError(absl::StrCat(path, ": write failed"));
  return absl::OkStatus();
}

}  // namespace tensor_transform::client
