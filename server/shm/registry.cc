#include "server/shm/registry.h"

#include <fcntl.h>
#include <sys/random.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <utility>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "server/shm/names.h"
#include "server/shm/sigbus_guard.h"

namespace tensor_transform::server::shm {
namespace {

constexpr size_t kLeaseTokenBytes = 16;

absl::Status ValidateOptions(const SharedMemoryOptions& options) {
  absl::Status prefix = ValidatePrefix(options.prefix);
  if (!prefix.ok()) return prefix;
  if (options.max_regions < 1 || options.max_bytes < 1 ||
      options.max_leases < 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("shared_memory_max_regions, _max_bytes, _max_leases: ",
                     options.max_regions, ", ", options.max_bytes, ", ",
                     options.max_leases, ", but each must be >= 1"));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::string> RandomToken() {
  char bytes[kLeaseTokenBytes];
  size_t got = 0;
  while (got < sizeof(bytes)) {
    const ssize_t n = getrandom(bytes + got, sizeof(bytes) - got, 0);
    if (n < 0 && errno != EINTR) {
      return absl::InternalError(
          absl::StrCat("getrandom: ", std::strerror(errno)));
    }
    if (n > 0) got += static_cast<size_t>(n);
  }
  return absl::BytesToHexString(absl::string_view(bytes, sizeof(bytes)));
}

absl::Status UnknownLease(const std::string& lease) {
  return absl::NotFoundError(absl::StrCat(
      "lease: '", lease,
      "' is not a live lease; open one with SystemSharedMemoryLease (it ends "
      "with that call)"));
}

absl::Status UnknownRegion(const std::string& name, absl::string_view field) {
  return absl::NotFoundError(
      absl::StrCat(field, ": '", name,
                   "' is not a registered shared memory region "
                   "(SystemSharedMemoryStatus lists them)"));
}

}  // namespace

absl::StatusOr<std::unique_ptr<Registry>> Registry::Create(
    const SharedMemoryOptions& options) {
  absl::Status valid = ValidateOptions(options);
  if (!valid.ok()) return valid;
  absl::Status guard = InstallSigbusGuard();
  if (!guard.ok()) return guard;
  const int dir_fd =
      open(options.dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir_fd < 0) {
    const std::string message =
        absl::StrCat("shared_memory_dir: '", options.dir,
                     "' cannot be opened: ", std::strerror(errno));
    return errno == ENOENT ? absl::NotFoundError(message)
                           : absl::PermissionDeniedError(message);
  }
  SharedMemoryOptions resolved = options;
  if (resolved.uids.empty()) resolved.uids.push_back(geteuid());
  return std::unique_ptr<Registry>(new Registry(resolved, dir_fd));
}

Registry::Registry(const SharedMemoryOptions& options, int dir_fd)
    : options_(options), dir_fd_(dir_fd) {}

Registry::~Registry() {
  regions_.clear();  // unmaps what no call holds any more
  close(dir_fd_);
}

absl::StatusOr<std::string> Registry::OpenLease() {
  absl::StatusOr<std::string> token = RandomToken();
  if (!token.ok()) return token.status();
  std::lock_guard<std::mutex> lock(mu_);
  if (leases_.size() >= static_cast<size_t>(options_.max_leases)) {
    return absl::ResourceExhaustedError(
        absl::StrCat("shared memory: ", leases_.size(),
                     " leases are open, the most this server allows "
                     "(--shared_memory_max_leases); end one first"));
  }
  leases_.emplace(*token, Lease());
  return token;
}

void Registry::EndLease(const std::string& lease) {
  std::vector<std::shared_ptr<Region>> unmapped;
  std::lock_guard<std::mutex> lock(mu_);
  EraseLease(lease, &unmapped);
  leases_.erase(lease);
}

absl::Status Registry::Register(const std::string& lease,
                                const RegisterSpec& spec) {
  absl::Status name = ValidateRegionName(spec.name, "name");
  if (!name.ok()) return name;
  absl::StatusOr<std::string> object =
      ObjectName(spec.key, options_.prefix, "key");
  if (!object.ok()) return object.status();
  if (spec.byte_size == 0) {
    return absl::InvalidArgumentError(
        "byte_size: 0, but a region holds at least one byte");
  }
  absl::StatusOr<uint64_t> ticket = Reserve(lease, spec);
  if (!ticket.ok()) return ticket.status();
  const RegionSpec region{spec.name, spec.key, *object, spec.offset,
                          spec.byte_size};
  return Complete(spec, *ticket,
                  Region::Open(dir_fd_, options_.dir, region, options_.uids));
}

absl::StatusOr<uint64_t> Registry::Reserve(const std::string& lease,
                                           const RegisterSpec& spec) {
  std::lock_guard<std::mutex> lock(mu_);
  auto owner = leases_.find(lease);
  if (owner == leases_.end()) return UnknownLease(lease);
  if (regions_.contains(spec.name)) {
    return absl::AlreadyExistsError(absl::StrCat(
        "name: '", spec.name, "' is registered already; unregister it first"));
  }
  Lease& usage = owner->second;
  if (usage.regions >= options_.max_regions ||
      spec.byte_size >
          static_cast<uint64_t>(options_.max_bytes) - usage.bytes) {
    return absl::ResourceExhaustedError(absl::StrCat(
        "byte_size: ", spec.byte_size, ", but the lease holds ", usage.regions,
        " regions of ", usage.bytes, " bytes, and this server allows ",
        options_.max_regions, " regions of ", options_.max_bytes,
        " bytes per lease (--shared_memory_max_regions, _max_bytes)"));
  }
  ++usage.regions;
  usage.bytes += spec.byte_size;
  const uint64_t ticket = next_ticket_++;
  regions_.emplace(spec.name, Entry{lease, spec.byte_size, ticket, nullptr});
  return ticket;
}

absl::Status Registry::Complete(
    const RegisterSpec& spec, uint64_t ticket,
    absl::StatusOr<std::unique_ptr<Region>> region) {
  std::vector<std::shared_ptr<Region>> unmapped;
  std::lock_guard<std::mutex> lock(mu_);
  auto it = regions_.find(spec.name);
  if (it == regions_.end() || it->second.ticket != ticket) {
    if (region.ok()) unmapped.push_back(*std::move(region));
    return absl::AbortedError(absl::StrCat(
        "name: '", spec.name,
        "' was unregistered (or its lease ended) while it was registered"));
  }
  if (!region.ok()) {
    Erase(spec.name, &unmapped);
    return region.status();
  }
  it->second.region = *std::move(region);
  return absl::OkStatus();
}

void Registry::Erase(const std::string& name,
                     std::vector<std::shared_ptr<Region>>* unmapped) {
  auto it = regions_.find(name);
  auto owner = leases_.find(it->second.lease);
  if (owner != leases_.end()) {
    --owner->second.regions;
    owner->second.bytes -= it->second.byte_size;
  }
  unmapped->push_back(std::move(it->second.region));
  regions_.erase(it);
}

void Registry::EraseLease(const std::string& lease,
                          std::vector<std::shared_ptr<Region>>* unmapped) {
  std::vector<std::string> names;
  for (const auto& [name, entry] : regions_) {
    if (entry.lease == lease) names.push_back(name);
  }
  for (const std::string& name : names) Erase(name, unmapped);
}

absl::Status Registry::Unregister(const std::string& lease,
                                  const std::string& name) {
  std::vector<std::shared_ptr<Region>> unmapped;
  std::lock_guard<std::mutex> lock(mu_);
  if (!leases_.contains(lease)) return UnknownLease(lease);
  if (name.empty()) {
    EraseLease(lease, &unmapped);
    return absl::OkStatus();
  }
  auto it = regions_.find(name);
  if (it == regions_.end()) return UnknownRegion(name, "name");
  if (it->second.lease != lease) {
    return absl::PermissionDeniedError(
        absl::StrCat("name: '", name,
                     "' was registered under another lease; only its own "
                     "lease unregisters it"));
  }
  Erase(name, &unmapped);
  return absl::OkStatus();
}

absl::StatusOr<std::vector<RegionSpec>> Registry::Status(
    const std::string& name) const {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<RegionSpec> specs;
  for (const auto& [each, entry] : regions_) {
    if (entry.region != nullptr && (name.empty() || name == each)) {
      specs.push_back(entry.region->spec());
    }
  }
  if (!name.empty() && specs.empty()) return UnknownRegion(name, "name");
  return specs;
}

absl::StatusOr<SharedSpan> Registry::Resolve(const std::string& name,
                                             uint64_t offset,
                                             uint64_t byte_size,
                                             absl::string_view field) const {
  std::shared_ptr<const Region> region;
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = regions_.find(name);
    if (it != regions_.end()) region = it->second.region;
  }
  if (region == nullptr) {
    return UnknownRegion(name, absl::StrCat(field, ".region"));
  }
  absl::Status intact = region->CheckIntact();
  if (!intact.ok()) return intact;
  const uint64_t size = region->spec().byte_size;
  uint64_t end;
  if (__builtin_add_overflow(offset, byte_size, &end) || end > size) {
    return absl::OutOfRangeError(
        absl::StrCat(field, ": offset + byte_size = ", offset, " + ", byte_size,
                     ", but region '", name, "' holds ", size, " bytes"));
  }
  return SharedSpan{region, region->bytes().subspan(offset, byte_size),
                    region->spec().offset + offset};
}

int64_t Registry::regions() const {
  std::lock_guard<std::mutex> lock(mu_);
  int64_t count = 0;
  for (const auto& [name, entry] : regions_) count += entry.region != nullptr;
  return count;
}

int64_t Registry::mapped_bytes() const {
  std::lock_guard<std::mutex> lock(mu_);
  int64_t bytes = 0;
  for (const auto& [name, entry] : regions_) {
    if (entry.region != nullptr) bytes += static_cast<int64_t>(entry.byte_size);
  }
  return bytes;
}

}  // namespace tensor_transform::server::shm
