// An LD_PRELOAD shim that makes the real imgflow binary's file I/O fail on
// cue (issue 15, item 3): read, write, pwrite, fsync and rename are passed to
// the C library unless IMGFLOW_IO_FAULTS names them for the file at hand.
//
//   IMGFLOW_IO_FAULTS="OP:MODE:MATCH[;OP:MODE:MATCH...]"
//     OP     read | write | fsync | rename   (write covers pwrite)
//     MODE   EIO | ENOSPC | EDQUOT | EROFS   fail with that errno
//            EIO@N   read only: fail with EIO from file offset N on (a
//                    file read in pieces: its head read, the rest failing)
//            EINTR   every other call fails with EINTR first
//            short   transfer at most half of what was asked (at least 1 byte)
//            gone    remove the folder that holds the file (all of it), then
//                    fail with ENOENT: an output volume unmounted mid-run
//     MATCH  a substring of the file's path (for rename: the new path);
//            empty matches every file
//
// The path of a descriptor comes from /proc/self/fd. Writes to stdout and
// stderr (pipes and terminals) never match a path under a test's folder.
#include <dlfcn.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <string>
#include <system_error>
#include <vector>

namespace {

struct Fault {
  std::string op, mode, match;
};

std::vector<Fault> parse_faults() {
  std::vector<Fault> faults;
  const char* spec = std::getenv("IMGFLOW_IO_FAULTS");
  if (!spec) return faults;
  std::string rest = spec;
  while (!rest.empty()) {
    const std::size_t end = rest.find(';');
    const std::string item = rest.substr(0, end);
    rest = end == std::string::npos ? "" : rest.substr(end + 1);
    const std::size_t a = item.find(':');
    const std::size_t b = a == std::string::npos ? a : item.find(':', a + 1);
    if (b == std::string::npos) continue;
    faults.push_back({item.substr(0, a), item.substr(a + 1, b - a - 1), item.substr(b + 1)});
  }
  return faults;
}

const std::vector<Fault>& faults() {
  static const std::vector<Fault> parsed = parse_faults();
  return parsed;
}

std::string fd_path(int fd) {
  char link[64];
  std::snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
  char path[4096];
  const ssize_t n = ::readlink(link, path, sizeof path - 1);
  return n > 0 ? std::string(path, static_cast<std::size_t>(n)) : std::string();
}

const Fault* fault_for(const char* op, const std::string& path) {
  for (const Fault& f : faults()) {
    if (f.op == op && path.find(f.match) != std::string::npos) return &f;
  }
  return nullptr;
}

int errno_of(const std::string& mode) {
  if (mode == "EIO") return EIO;
  if (mode == "ENOSPC") return ENOSPC;
  if (mode == "EDQUOT") return EDQUOT;
  if (mode == "EROFS") return EROFS;
  return 0;
}

// What to do for one call on `path` (at `offset` for a read): 0 = call
// through, -1 = fail (errno set), 1 = call through with a short count.
int decide(const Fault* fault, const std::string& path = {}, long long offset = 0) {
  if (!fault) return 0;
  if (fault->mode == "short") return 1;
  if (fault->mode.rfind("EIO@", 0) == 0) {
    if (offset < std::atoll(fault->mode.c_str() + 4)) return 0;
    errno = EIO;
    return -1;
  }
  if (fault->mode == "gone") {
    std::error_code ignored;
    std::filesystem::remove_all(std::filesystem::path(path).parent_path(), ignored);
    errno = ENOENT;
    return -1;
  }
  if (fault->mode == "EINTR") {
    thread_local unsigned calls = 0;
    if (calls++ % 2 == 0) {
      errno = EINTR;
      return -1;
    }
    return 0;
  }
  errno = errno_of(fault->mode);
  return -1;
}

std::size_t shortened(std::size_t count) {
  return count > 1 ? count / 2 : count;
}

template <class F>
F next(const char* name) {
  return reinterpret_cast<F>(::dlsym(RTLD_NEXT, name));
}

}  // namespace

extern "C" {

ssize_t read(int fd, void* buf, size_t count) {
  static const auto real = next<ssize_t (*)(int, void*, size_t)>("read");
  if (faults().empty()) return real(fd, buf, count);
  const std::string path = fd_path(fd);
  const int what = decide(fault_for("read", path), path, ::lseek(fd, 0, SEEK_CUR));
  if (what < 0) return -1;
  return real(fd, buf, what == 1 ? shortened(count) : count);
}

ssize_t write(int fd, const void* buf, size_t count) {
  static const auto real = next<ssize_t (*)(int, const void*, size_t)>("write");
  if (faults().empty()) return real(fd, buf, count);
  const std::string path = fd_path(fd);
  const int what = decide(fault_for("write", path), path);
  if (what < 0) return -1;
  return real(fd, buf, what == 1 ? shortened(count) : count);
}

ssize_t pwrite(int fd, const void* buf, size_t count, off_t offset) {
  static const auto real = next<ssize_t (*)(int, const void*, size_t, off_t)>("pwrite");
  if (faults().empty()) return real(fd, buf, count, offset);
  const std::string path = fd_path(fd);
  const int what = decide(fault_for("write", path), path);
  if (what < 0) return -1;
  return real(fd, buf, what == 1 ? shortened(count) : count, offset);
}

int fsync(int fd) {
  static const auto real = next<int (*)(int)>("fsync");
  if (faults().empty()) return real(fd);
  const std::string path = fd_path(fd);
  if (decide(fault_for("fsync", path), path) < 0) return -1;
  return real(fd);
}

int rename(const char* from, const char* to) {
  static const auto real = next<int (*)(const char*, const char*)>("rename");
  if (!faults().empty() && decide(fault_for("rename", to), to) < 0) return -1;
  return real(from, to);
}

}  // extern "C"
