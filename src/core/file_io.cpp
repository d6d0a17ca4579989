// Whole-file reads and atomic writes (temporary file + fsync + rename).
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <optional>
#include <stdexcept>
#include <string>

#include "imgflow/error.hpp"
#include "imgflow/file_io.hpp"

#include "core/input_bytes.hpp"
#include "core/temporary_name.hpp"

namespace imgflow {
namespace {

std::string os_error(const std::string& what, int err) {
  return what + ": " + std::strerror(err);
}

// Closes a file descriptor on every path.
struct FileDescriptor {
  int fd = -1;
  explicit FileDescriptor(int f) : fd(f) {}
  ~FileDescriptor() {
    if (fd >= 0) ::close(fd);
  }
  FileDescriptor(const FileDescriptor&) = delete;
  FileDescriptor& operator=(const FileDescriptor&) = delete;
  int release() {
    const int f = fd;
    fd = -1;
    return f;
  }
};

// mkstemp creates files 0600; outputs get the usual 0666 & ~umask. umask can
// only be read by setting it, so do that once, at load time, before any thread.
const mode_t process_umask = [] {
  const mode_t mask = ::umask(0);
  ::umask(mask);
  return mask;
}();

// Temporary files being written right now, so that a signal handler that must
// exit at once can remove them (see remove_temporary_files). Fixed storage:
// a handler may neither allocate nor free.
constexpr int kTempSlots = 128;
char temp_paths[kTempSlots][4096];
std::atomic<bool> temp_used[kTempSlots];

// Registers a temporary file for its lifetime.
class TemporaryRegistration {
 public:
  explicit TemporaryRegistration(const std::string& path) {
    if (path.size() >= sizeof temp_paths[0]) return;
    for (int i = 0; i < kTempSlots; ++i) {
      bool expected = false;
      // Claim the slot, fill in the path, then publish it.
      if (temp_used[i].load(std::memory_order_relaxed) ||
          !claimed_[i].compare_exchange_strong(expected, true)) {
        continue;
      }
      std::memcpy(temp_paths[i], path.c_str(), path.size() + 1);
      temp_used[i].store(true, std::memory_order_release);
      slot_ = i;
      return;
    }
  }
  ~TemporaryRegistration() {
    if (slot_ < 0) return;
    temp_used[slot_].store(false, std::memory_order_release);
    claimed_[slot_].store(false, std::memory_order_release);
  }
  TemporaryRegistration(const TemporaryRegistration&) = delete;
  TemporaryRegistration& operator=(const TemporaryRegistration&) = delete;

 private:
  static inline std::atomic<bool> claimed_[kTempSlots];
  int slot_ = -1;
};

// Once remove_temporary_files() has run, no new temporary file may appear:
// creators announce themselves, and the remover waits for those in progress.
std::atomic<bool> stop_writing{false};
std::atomic<int> creating{0};

struct CreatingScope {
  CreatingScope() { creating.fetch_add(1, std::memory_order_acq_rel); }
  ~CreatingScope() { creating.fetch_sub(1, std::memory_order_acq_rel); }
};

// A large buffer is faulted in 4 KiB page by page as it is first written;
// in 2 MiB pages where the kernel allows it (transparent huge pages in
// "madvise" mode, Debian's default). Measured on a 53 MB PNG (2 cores, a VM):
// median read 530 ms in 4 KiB pages, 135 ms in huge pages (5 runs each, busy machine).
void back_with_huge_pages(void* buffer, std::size_t size) {
  constexpr std::uintptr_t kHuge = 2u << 20;
  if (size < 4 * kHuge) return;
  const auto begin = (reinterpret_cast<std::uintptr_t>(buffer) + kHuge - 1) & ~(kHuge - 1);
  const auto end = (reinterpret_cast<std::uintptr_t>(buffer) + size) & ~(kHuge - 1);
  if (end > begin) ::madvise(reinterpret_cast<void*>(begin), end - begin, MADV_HUGEPAGE);
}

}  // namespace

ErrorCode write_failure(int errno_value) noexcept {
  switch (errno_value) {
    case ENOSPC:
    case EDQUOT:
      return ErrorCode::disk_full;
    case EROFS:
      return ErrorCode::output_unavailable;
    default:
      return ErrorCode::write_error;
  }
}

void remove_temporary_files() noexcept {
  stop_writing.store(true, std::memory_order_seq_cst);
  // A creation under way registers its file before it leaves; wait for it
  // (bounded: this may run in a signal handler on any thread).
  for (long spin = 0; creating.load(std::memory_order_acquire) > 0 && spin < 50'000'000; ++spin) {
  }
  for (int i = 0; i < kTempSlots; ++i) {
    if (temp_used[i].load(std::memory_order_acquire)) ::unlink(temp_paths[i]);
  }
}

namespace {

// Opens an input with read_file()'s checks: a regular, non-empty file within
// `max_bytes`. Returns the descriptor (the caller closes it) and its size.
int open_input(const std::filesystem::path& path, std::uint64_t max_bytes, std::uint64_t& size) {
  // O_NONBLOCK so that a FIFO named as input fails the type check instead of blocking.
  FileDescriptor file(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK));
  if (file.fd < 0) {
    const int err = errno;
    if (err == ENOENT) throw Error(ErrorCode::not_found, "no such file (or a dangling link)");
    if (err == ELOOP) throw Error(ErrorCode::read_error, "too many levels of symbolic links");
    throw Error(ErrorCode::read_error, os_error("cannot open", err));
  }
  struct stat st {};
  if (::fstat(file.fd, &st) != 0)
    throw Error(ErrorCode::read_error, os_error("cannot stat", errno));
  if (!S_ISREG(st.st_mode)) {
    throw Error(ErrorCode::not_a_file,
                S_ISDIR(st.st_mode) ? "is a directory" : "is not a regular file");
  }
  if (st.st_size == 0) throw Error(ErrorCode::empty_input, "file is empty");
  size = static_cast<std::uint64_t>(st.st_size);
  if (max_bytes != 0 && size > max_bytes) {
    throw Error(ErrorCode::input_too_large, "file is " + std::to_string(size) +
                                                " bytes, over the limit of " +
                                                std::to_string(max_bytes));
  }
  return file.release();
}

// Reads from `offset` until `n` bytes or the end of the file: fewer bytes
// when the file is shorter (or shrank since it was opened). lseek and read,
// not pread: one thread reads a file at a time, and the I/O fault shim
// (tests/support/io_faults.cpp) injects its faults into read().
std::size_t read_fully(int fd, std::uint64_t offset, std::uint8_t* out, std::size_t n) {
  if (::lseek(fd, static_cast<off_t>(offset), SEEK_SET) < 0) {
    throw Error(ErrorCode::read_error, os_error("cannot seek", errno));
  }
  std::size_t done = 0;
  while (done < n) {
    const ssize_t got = ::read(fd, out + done, n - done);
    if (got < 0) {
      if (errno == EINTR) continue;
      throw Error(ErrorCode::read_error, os_error("read failed", errno));
    }
    if (got == 0) break;  // file shrank while we read it
    done += static_cast<std::size_t>(got);
  }
  return done;
}

// The first `limit` bytes of an open file of `size` bytes (all of it if
// smaller), in one read of the right size.
std::vector<std::uint8_t> read_start(int fd, std::uint64_t size, std::uint64_t limit) {
  const std::uint64_t wanted = std::min(size, limit);
  std::vector<std::uint8_t> bytes;
  bytes.reserve(wanted);
  back_with_huge_pages(bytes.data(), wanted);
  bytes.resize(wanted);
  bytes.resize(read_fully(fd, 0, bytes.data(), bytes.size()));
  if (bytes.empty()) throw Error(ErrorCode::empty_input, "file is empty");
  return bytes;
}

}  // namespace

std::vector<std::uint8_t> read_file(const std::filesystem::path& path, std::uint64_t max_bytes) {
  std::uint64_t size = 0;
  FileDescriptor file(open_input(path, max_bytes, size));
  return read_start(file.fd, size, size);
}

namespace detail {

std::string temporary_prefix(std::string_view target) {
  std::string prefix = ".";
  prefix.append(target).append(".imgflow-");
  return prefix;
}

bool is_temporary_name_for(std::string_view name, std::string_view target) {
  // mkstemp replaces XXXXXX with letters and digits.
  constexpr std::size_t kRandom = 6;
  const std::string prefix = temporary_prefix(target);
  if (name.size() != prefix.size() + kRandom || !name.starts_with(prefix)) return false;
  return std::all_of(
      name.begin() + static_cast<std::ptrdiff_t>(prefix.size()), name.end(), [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
      });
}

InputBytes::InputBytes(std::vector<std::uint8_t> whole)
    : owned_(std::move(whole)), memory_(owned_), size_(owned_.size()) {}

InputBytes InputBytes::view(std::span<const std::uint8_t> bytes) {
  InputBytes input;
  input.memory_ = bytes;
  input.size_ = bytes.size();
  return input;
}

InputBytes InputBytes::open(const std::filesystem::path& path, std::uint64_t max_bytes,
                            std::uint64_t pieces_above) {
  std::uint64_t size = 0;
  FileDescriptor file(open_input(path, max_bytes, size));
  const bool in_pieces = pieces_above != 0 && size > pieces_above && size > kHeadBytes;
  InputBytes input(read_start(file.fd, size, in_pieces ? kHeadBytes : size));
  if (in_pieces && input.owned_.size() == kHeadBytes) {
    input.size_ = size;
    input.fd_ = file.release();
  }
  return input;
}

InputBytes::InputBytes(InputBytes&& other) noexcept
    : owned_(std::move(other.owned_)),
      memory_(other.memory_),
      window_(std::move(other.window_)),
      window_offset_(other.window_offset_),
      size_(other.size_),
      fd_(other.fd_) {
  other.memory_ = {};
  other.size_ = 0;
  other.fd_ = -1;
}

InputBytes& InputBytes::operator=(InputBytes&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0) ::close(fd_);
    owned_ = std::move(other.owned_);
    memory_ = other.memory_;
    window_ = std::move(other.window_);
    window_offset_ = other.window_offset_;
    size_ = other.size_;
    fd_ = other.fd_;
    other.memory_ = {};
    other.size_ = 0;
    other.fd_ = -1;
  }
  return *this;
}

InputBytes::~InputBytes() {
  if (fd_ >= 0) ::close(fd_);
}

std::span<const std::uint8_t> InputBytes::bytes() const {
  if (!whole()) throw std::logic_error("InputBytes::bytes() on a file read in pieces");
  return memory_;
}

void InputBytes::read_rest() {
  if (whole()) return;
  FileDescriptor file(fd_);
  fd_ = -1;
  window_ = {};
  owned_ = read_start(file.fd, size_, size_);
  memory_ = owned_;
  size_ = owned_.size();
}

std::size_t InputBytes::read(std::uint64_t offset, std::uint8_t* out, std::size_t n) {
  std::size_t done = 0;
  while (done < n) {
    const std::uint64_t at = offset + done;
    std::span<const std::uint8_t> from;
    if (at < memory_.size()) {
      from = memory_.subspan(static_cast<std::size_t>(at));
    } else if (whole() || at >= size_) {
      break;
    } else {
      if (at < window_offset_ || at >= window_offset_ + window_.size()) {
        // Past the window: the next piece replaces it (what was read is not kept).
        window_.resize(kPieceBytes);
        window_offset_ = at;
        const auto wanted =
            static_cast<std::size_t>(std::min<std::uint64_t>(kPieceBytes, size_ - at));
        window_.resize(read_fully(fd_, at, window_.data(), wanted));
        if (window_.empty()) break;  // the file shrank
      }
      from = std::span<const std::uint8_t>(window_).subspan(
          static_cast<std::size_t>(at - window_offset_));
    }
    const std::size_t take = std::min(from.size(), n - done);
    std::memcpy(out + done, from.data(), take);
    done += take;
  }
  return done;
}

}  // namespace detail

struct AtomicFile::Temporary {
  std::string path;
  FileDescriptor file;
  TemporaryRegistration registration;
  Temporary(std::string p, int fd) : path(std::move(p)), file(fd), registration(path) {}
  ~Temporary() {
    if (file.fd >= 0) {
      ::close(file.release());
      ::unlink(path.c_str());
    }
  }
  [[noreturn]] void fail(const std::string& what, int err) {
    ::close(file.release());
    ::unlink(path.c_str());
    throw Error(write_failure(err), os_error(what, err));
  }
};

AtomicFile::AtomicFile(std::filesystem::path path) : path_(std::move(path)) {
  // The temporary file lives beside the target, so the rename stays within one
  // file system; its name starts with a dot and says who left it.
  const auto dir = path_.parent_path().empty() ? std::filesystem::path(".") : path_.parent_path();
  const std::string name = detail::temporary_prefix(path_.filename().string()) + "XXXXXX";
  std::string temp = (dir / name).string();
  std::optional<CreatingScope> creation(std::in_place);
  if (stop_writing.load(std::memory_order_seq_cst)) {
    throw Error(ErrorCode::write_error, "not written: the process is exiting");
  }
  const int fd = ::mkstemp(temp.data());
  if (fd < 0) {
    const int err = errno;
    throw Error(write_failure(err), os_error("cannot create " + temp, err));
  }
  temp_ = std::make_unique<Temporary>(std::move(temp), fd);
  creation.reset();
  ::fchmod(fd, 0666 & ~process_umask);
}

AtomicFile::~AtomicFile() = default;

void AtomicFile::append(std::span<const std::uint8_t> bytes) {
  std::size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t n = ::write(temp_->file.fd, bytes.data() + done, bytes.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      temp_->fail("write failed", errno);
    }
    done += static_cast<std::size_t>(n);
  }
}

void AtomicFile::overwrite(std::uint64_t offset, std::span<const std::uint8_t> bytes) {
  std::size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t n = ::pwrite(temp_->file.fd, bytes.data() + done, bytes.size() - done,
                               static_cast<off_t>(offset + done));
    if (n < 0) {
      if (errno == EINTR) continue;
      temp_->fail("write failed", errno);
    }
    done += static_cast<std::size_t>(n);
  }
}

void AtomicFile::commit(bool fsync) {
  if (fsync) {
    int rc = 0;
    while ((rc = ::fsync(temp_->file.fd)) != 0 && errno == EINTR) {
    }
    // Not on disk for sure: the output is not claimed (no rename).
    if (rc != 0) temp_->fail("fsync failed", errno);
  }
  if (::close(temp_->file.release()) != 0) {
    const int err = errno;
    ::unlink(temp_->path.c_str());
    throw Error(write_failure(err), os_error("close failed", err));
  }
  int rc = 0;
  while ((rc = ::rename(temp_->path.c_str(), path_.c_str())) != 0 && errno == EINTR) {
  }
  if (rc != 0) {
    const int err = errno;
    ::unlink(temp_->path.c_str());
    throw Error(write_failure(err), os_error("cannot rename into place", err));
  }
}

void write_file_atomic(const std::filesystem::path& path, std::span<const std::uint8_t> bytes,
                       bool fsync) {
  AtomicFile file(path);
  file.append(bytes);
  file.commit(fsync);
}

}  // namespace imgflow
