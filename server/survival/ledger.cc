#include "server/survival/ledger.h"

#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <utility>

#include "absl/strings/str_cat.h"

namespace sctpgw::survival {

struct Ledger::Header {
  char magic[8];
  uint32_t version;
  uint32_t slots;
  uint64_t last_sequence;
  uint64_t reading_socket;
};

struct Ledger::Slot {
  uint64_t key;
  uint64_t value;
};

namespace {

constexpr char kMagic[8] = {'s', 'c', 't', 'p', 'g', 'w', 'L', 'g'};
constexpr uint32_t kVersion = 2;
constexpr uint64_t kKindShift = 62;
constexpr uint64_t kQueueSlot = uint64_t{1} << kKindShift;
constexpr uint64_t kMidMessageSlot = uint64_t{2} << kKindShift;
constexpr uint64_t kIdMask = (uint64_t{1} << kKindShift) - 1;
// The most slots a ledger may claim to have (16 MiB of slots).
constexpr uint32_t kMaxSlots = 1 << 20;

absl::Status Errno(const char* what) {
  return absl::InternalError(absl::StrCat(what, ": ", std::strerror(errno)));
}

uint64_t MidMessageValue(bool held, int32_t assoc_id) {
  return (held ? uint64_t{1} << 32 : 0) | static_cast<uint32_t>(assoc_id);
}

}  // namespace

Ledger::Ledger(net::UniqueFd fd, void* memory, size_t bytes)
    : fd_(std::move(fd)), memory_(memory), bytes_(bytes) {}

Ledger::Ledger(Ledger&& other) noexcept
    : fd_(std::move(other.fd_)),
      memory_(std::exchange(other.memory_, nullptr)),
      bytes_(std::exchange(other.bytes_, 0)),
      used_(std::move(other.used_)),
      free_(std::move(other.free_)) {}

Ledger& Ledger::operator=(Ledger&& other) noexcept {
  if (this != &other) {
    if (memory_ != nullptr) munmap(memory_, bytes_);
    fd_ = std::move(other.fd_);
    memory_ = std::exchange(other.memory_, nullptr);
    bytes_ = std::exchange(other.bytes_, 0);
    used_ = std::move(other.used_);
    free_ = std::move(other.free_);
  }
  return *this;
}

Ledger::~Ledger() {
  if (memory_ != nullptr) munmap(memory_, bytes_);
}

absl::StatusOr<Ledger> Ledger::Create(size_t slots) {
  if (slots == 0 || slots > kMaxSlots) return absl::InvalidArgumentError("ledger: slot count out of range");
  net::UniqueFd fd(memfd_create("sctpgw-ledger", MFD_CLOEXEC));
  if (!fd.valid()) return Errno("memfd_create");
  const size_t bytes = sizeof(Header) + slots * sizeof(Slot);
  if (ftruncate(fd.get(), static_cast<off_t>(bytes)) != 0) return Errno("ftruncate");
  void* memory = mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_SHARED, fd.get(), 0);
  if (memory == MAP_FAILED) return Errno("mmap");
  Ledger ledger(std::move(fd), memory, bytes);
  auto* header = static_cast<Header*>(memory);  // Zeroed by ftruncate.
  header->version = kVersion;
  header->slots = static_cast<uint32_t>(slots);
  std::memcpy(header->magic, kMagic, sizeof(kMagic));
  for (size_t i = slots; i > 0; --i) ledger.free_.push_back(i - 1);
  return ledger;
}

absl::StatusOr<LedgerContents> Ledger::Read(int fd) {
  struct stat st {};
  if (fstat(fd, &st) != 0) return Errno("fstat");
  auto invalid = [](const char* why) { return absl::InvalidArgumentError(absl::StrCat("ledger: ", why)); };
  if (!S_ISREG(st.st_mode) || static_cast<size_t>(st.st_size) < sizeof(Header)) {
    return invalid("not a ledger");
  }
  const size_t bytes = static_cast<size_t>(st.st_size);
  void* memory = mmap(nullptr, bytes, PROT_READ, MAP_SHARED, fd, 0);
  if (memory == MAP_FAILED) return Errno("mmap");
  const auto* header = static_cast<const Header*>(memory);
  LedgerContents contents;
  absl::Status status;
  if (std::memcmp(header->magic, kMagic, sizeof(kMagic)) != 0 || header->version != kVersion) {
    status = invalid("not a ledger of this version");
  } else if (header->slots > kMaxSlots || sizeof(Header) + header->slots * sizeof(Slot) > bytes) {
    status = invalid("torn");
  } else {
    contents.last_sequence = header->last_sequence;
    contents.reading_socket = header->reading_socket;
    const auto* slots = reinterpret_cast<const Slot*>(header + 1);
    for (uint32_t i = 0; i < header->slots; ++i) {
      const uint64_t key = slots[i].key;
      const uint64_t value = slots[i].value;
      if ((key & ~kIdMask) == kQueueSlot && value != 0) {
        contents.held[key & kIdMask] = {value & 0xffffffffu, value >> 32};
      } else if ((key & ~kIdMask) == kMidMessageSlot) {
        contents.mid_message[key & kIdMask] = {(value >> 32) != 0,
                                               static_cast<int32_t>(value & 0xffffffffu)};
      }
    }
  }
  munmap(memory, bytes);
  if (!status.ok()) return status;
  return contents;
}

uint64_t* Ledger::SequenceCounter() { return &static_cast<Header*>(memory_)->last_sequence; }

uint64_t* Ledger::ReadingSocket() { return &static_cast<Header*>(memory_)->reading_socket; }

Ledger::Slot* Ledger::Claim(uint64_t key) {
  auto* slots = reinterpret_cast<Slot*>(static_cast<Header*>(memory_) + 1);
  if (auto it = used_.find(key); it != used_.end()) return &slots[it->second];
  if (free_.empty()) return nullptr;
  size_t index = free_.back();
  free_.pop_back();
  used_[key] = index;
  slots[index].value = 0;
  slots[index].key = key;
  return &slots[index];
}

void Ledger::Free(uint64_t key) {
  auto it = used_.find(key);
  if (it == used_.end()) return;
  auto* slots = reinterpret_cast<Slot*>(static_cast<Header*>(memory_) + 1);
  slots[it->second].key = 0;
  slots[it->second].value = 0;
  free_.push_back(it->second);
  used_.erase(it);
}

uint64_t* Ledger::QueueCounter(uint64_t association_id) {
  Slot* slot = Claim(kQueueSlot | (association_id & kIdMask));
  return slot == nullptr ? nullptr : &slot->value;
}

void Ledger::ReleaseQueueCounter(uint64_t association_id) {
  Free(kQueueSlot | (association_id & kIdMask));
}

void Ledger::SetMidMessage(uint64_t socket_id, bool mid, bool held, int32_t assoc_id) {
  const uint64_t key = kMidMessageSlot | (socket_id & kIdMask);
  if (!mid) {
    Free(key);
    return;
  }
  if (Slot* slot = Claim(key)) slot->value = MidMessageValue(held, assoc_id);
}

}  // namespace sctpgw::survival
