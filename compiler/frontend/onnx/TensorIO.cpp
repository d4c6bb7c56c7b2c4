//===- TensorIO.cpp - TensorProto decoding and .pb tensor files -----------===//
#include "compiler/frontend/onnx/TensorProto.h"

#include <cstring>
#include <fstream>
#include <limits>
#include <sstream>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

namespace lepton::onnx {

using ::onnx::TensorProto;

int64_t HostTensor::numElements() const {
  int64_t n = 1;
  for (int64_t d : shape)
    n *= d;
  return n;
}

size_t dtypeSize(int32_t dtype) {
  switch (dtype) {
  case TensorProto::FLOAT:
  case TensorProto::INT32:
  case TensorProto::UINT32:
    return 4;
  case TensorProto::UINT8:
  case TensorProto::INT8:
  case TensorProto::BOOL:
    return 1;
  case TensorProto::UINT16:
  case TensorProto::INT16:
  case TensorProto::FLOAT16:
  case TensorProto::BFLOAT16:
    return 2;
  case TensorProto::INT64:
  case TensorProto::UINT64:
  case TensorProto::DOUBLE:
    return 8;
  default:
    return 0;
  }
}

const char *dtypeName(int32_t dtype) {
  switch (dtype) {
  case TensorProto::FLOAT: return "float";
  case TensorProto::UINT8: return "uint8";
  case TensorProto::INT8: return "int8";
  case TensorProto::UINT16: return "uint16";
  case TensorProto::INT16: return "int16";
  case TensorProto::INT32: return "int32";
  case TensorProto::INT64: return "int64";
  case TensorProto::STRING: return "string";
  case TensorProto::BOOL: return "bool";
  case TensorProto::FLOAT16: return "float16";
  case TensorProto::DOUBLE: return "double";
  case TensorProto::UINT32: return "uint32";
  case TensorProto::UINT64: return "uint64";
  case TensorProto::COMPLEX64: return "complex64";
  case TensorProto::COMPLEX128: return "complex128";
  case TensorProto::BFLOAT16: return "bfloat16";
  default: return "undefined";
  }
}

/// Copies a repeated numeric field into `out`, narrowing to `Elem`.
template <typename Elem, typename Field>
static void packField(const Field &field, std::vector<char> &out) {
  out.resize(field.size() * sizeof(Elem));
  for (int i = 0; i < field.size(); ++i) {
    Elem v = static_cast<Elem>(field.Get(i));
    std::memcpy(out.data() + i * sizeof(Elem), &v, sizeof(Elem));
  }
}

/// Where a tensor's external data lies: the file (inside `baseDir`) and the
/// byte offset, after checking the entries and the length the shape needs.
static bool locateExternal(const TensorProto &proto, const std::string &baseDir,
                           size_t expected, std::string &path, uint64_t &offset,
                           std::string &error) {
  std::string location;
  int64_t start = 0, length = -1;
  for (const auto &kv : proto.external_data()) {
    try {
      if (kv.key() == "location")
        location = kv.value();
      else if (kv.key() == "offset")
        start = std::stoll(kv.value());
      else if (kv.key() == "length")
        length = std::stoll(kv.value());
    } catch (const std::exception &) {
      error = "invalid external data entry '" + kv.key() + "'";
      return false;
    }
  }
  if (location.empty() || location[0] == '/' ||
      location.find("..") != std::string::npos) {
    error = "external data location '" + location +
            "' must be a relative path inside the model's directory";
    return false;
  }
  if (start < 0 || (length >= 0 && static_cast<size_t>(length) != expected)) {
    error = "external data of '" + proto.name() + "' has a wrong offset or length";
    return false;
  }
  path = baseDir.empty() ? location : baseDir + "/" + location;
  offset = static_cast<uint64_t>(start);
  return true;
}

static bool readExternal(const TensorProto &proto, const std::string &baseDir,
                         size_t expected, std::vector<char> &out,
                         std::string &error) {
  std::string path;
  uint64_t offset;
  if (!locateExternal(proto, baseDir, expected, path, offset, error))
    return false;
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    error = "cannot open external data file '" + path + "'";
    return false;
  }
  in.seekg(static_cast<std::streamoff>(offset));
  out.resize(expected);
  if (!in.read(out.data(), static_cast<std::streamsize>(expected))) {
    error = "external data file '" + path + "' is too short for '" + proto.name() + "'";
    return false;
  }
  return true;
}

/// Name, type and shape of `proto` into `out`; `bytes` is the data size the
/// shape needs.
static bool decodeHeader(const TensorProto &proto, HostTensor &out, size_t &bytes,
                         std::string &error) {
  out.name = proto.name();
  out.dtype = proto.data_type();
  size_t elemSize = dtypeSize(out.dtype);
  if (elemSize == 0) {
    error = std::string("tensor '") + proto.name() + "' has unsupported data type " +
            dtypeName(out.dtype);
    return false;
  }
  out.shape.assign(proto.dims().begin(), proto.dims().end());
  // Guard the element count against negative dims and overflow (1 TiB cap).
  size_t count = 1;
  const size_t limit = (size_t(1) << 40) / elemSize;
  for (int64_t d : out.shape) {
    if (d < 0 || (d > 0 && count > limit / static_cast<size_t>(d))) {
      error = "tensor '" + proto.name() + "' has an invalid shape";
      return false;
    }
    count *= static_cast<size_t>(d);
  }
  bytes = count * elemSize;
  return true;
}

static bool checkSize(const TensorProto &proto, size_t held, size_t expected,
                      std::string &error) {
  if (held == expected)
    return true;
  error = "tensor '" + proto.name() + "' holds " + std::to_string(held) +
          " bytes but its shape needs " + std::to_string(expected);
  return false;
}

bool decodeTensor(const TensorProto &proto, const std::string &baseDir,
                  HostTensor &out, std::string &error) {
  size_t expected;
  if (!decodeHeader(proto, out, expected, error))
    return false;
  if (proto.data_location() == TensorProto::EXTERNAL) {
    if (!readExternal(proto, baseDir, expected, out.data, error))
      return false;
  } else if (proto.has_raw_data()) {
    out.data.assign(proto.raw_data().begin(), proto.raw_data().end());
  } else {
    switch (out.dtype) {
    case TensorProto::FLOAT:
      packField<float>(proto.float_data(), out.data);
      break;
    case TensorProto::DOUBLE:
      packField<double>(proto.double_data(), out.data);
      break;
    case TensorProto::INT64:
      packField<int64_t>(proto.int64_data(), out.data);
      break;
    case TensorProto::UINT32:
    case TensorProto::UINT64:
      if (dtypeSize(out.dtype) == 4)
        packField<uint32_t>(proto.uint64_data(), out.data);
      else
        packField<uint64_t>(proto.uint64_data(), out.data);
      break;
    case TensorProto::INT32:
      packField<int32_t>(proto.int32_data(), out.data);
      break;
    case TensorProto::INT16:
    case TensorProto::UINT16:
    case TensorProto::FLOAT16:
    case TensorProto::BFLOAT16:
      packField<uint16_t>(proto.int32_data(), out.data);
      break;
    default: // INT8, UINT8, BOOL
      packField<uint8_t>(proto.int32_data(), out.data);
      break;
    }
  }
  return checkSize(proto, out.data.size(), expected, error);
}

/// A read-only mapping of `size` bytes at `offset` of `path`, with `data`
/// pointing at them; null when the data cannot be mapped as it must be used
/// (empty, or not aligned for every element type), or with `error` set when
/// the file is unusable.
static std::shared_ptr<const void> mapExternal(const std::string &path, uint64_t offset,
                                               size_t size, const char *&data,
                                               std::string &error) {
  if (size == 0 || offset % alignof(uint64_t) != 0)
    return nullptr;
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    error = "cannot open external data file '" + path + "'";
    return nullptr;
  }
  struct stat status;
  uint64_t page = static_cast<uint64_t>(sysconf(_SC_PAGESIZE));
  uint64_t aligned = offset / page * page;
  void *base = MAP_FAILED;
  if (fstat(fd, &status) == 0 && offset + size > static_cast<uint64_t>(status.st_size))
    error = "external data file '" + path + "' is too short";
  else
    base = mmap(nullptr, size + (offset - aligned), PROT_READ, MAP_PRIVATE, fd,
                static_cast<off_t>(aligned));
  ::close(fd);
  if (base == MAP_FAILED) // e.g. a file system without mmap: read it instead
    return nullptr;
  data = static_cast<const char *>(base) + (offset - aligned);
  size_t length = size + (offset - aligned);
  return std::shared_ptr<const void>(base, [length](const void *p) {
    munmap(const_cast<void *>(p), length);
  });
}

bool takeTensorBytes(TensorProto &proto, const std::string &baseDir, HostTensor &out,
                     TensorBytes &bytes, std::string &error) {
  size_t expected;
  if (!decodeHeader(proto, out, expected, error))
    return false;
  bytes.size = expected;
  if (proto.data_location() == TensorProto::EXTERNAL) {
    std::string path;
    uint64_t offset;
    if (!locateExternal(proto, baseDir, expected, path, offset, error))
      return false;
    if ((bytes.owner = mapExternal(path, offset, expected, bytes.data, error)))
      return true;
    if (!error.empty())
      return false;
  } else if (proto.has_raw_data()) {
    if (!checkSize(proto, proto.raw_data().size(), expected, error))
      return false;
    std::shared_ptr<std::string> raw(proto.release_raw_data());
    bytes.data = raw->data();
    bytes.owner = std::move(raw);
    return true;
  }
  HostTensor decoded;
  if (!decodeTensor(proto, baseDir, decoded, error))
    return false;
  auto buffer = std::make_shared<std::vector<char>>(std::move(decoded.data));
  bytes.data = buffer->data();
  bytes.owner = std::move(buffer);
  return true;
}

static std::string directoryOf(const std::string &path) {
  size_t slash = path.find_last_of('/');
  return slash == std::string::npos ? std::string() : path.substr(0, slash);
}

bool readTensorFile(const std::string &path, HostTensor &out, std::string &error) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    error = "cannot open '" + path + "'";
    return false;
  }
  std::stringstream buffer;
  buffer << in.rdbuf();
  TensorProto proto;
  if (!proto.ParseFromString(buffer.str())) {
    error = "'" + path + "' is not a TensorProto file";
    return false;
  }
  if (!decodeTensor(proto, directoryOf(path), out, error)) {
    error = path + ": " + error;
    return false;
  }
  return true;
}

bool writeTensorFile(const std::string &path, const HostTensor &tensor,
                     std::string &error) {
  TensorProto proto;
  proto.set_name(tensor.name);
  proto.set_data_type(tensor.dtype);
  for (int64_t d : tensor.shape)
    proto.add_dims(d);
  proto.set_raw_data(tensor.data.data(), tensor.data.size());
  std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    if (!out || !proto.SerializeToOstream(&out)) {
      error = "cannot write '" + path + "'";
      std::remove(tmp.c_str());
      return false;
    }
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    error = "cannot write '" + path + "'";
    std::remove(tmp.c_str());
    return false;
  }
  return true;
}

} // namespace lepton::onnx
