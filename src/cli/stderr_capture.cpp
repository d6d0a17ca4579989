#include "cli/stderr_capture.hpp"

#include <fcntl.h>
#include <unistd.h>

namespace imgflow::cli {

StderrCapture::StderrCapture(std::function<void(const std::string&)> on_line)
    : on_line_(std::move(on_line)) {
  int fds[2];
  std::fflush(stderr);
  if (::pipe2(fds, O_CLOEXEC) != 0) return;
  saved_fd_ = ::fcntl(STDERR_FILENO, F_DUPFD_CLOEXEC, 3);
  if (saved_fd_ < 0 || ::dup2(fds[1], STDERR_FILENO) < 0) {
    ::close(fds[0]);
    ::close(fds[1]);
    if (saved_fd_ >= 0) ::close(saved_fd_);
    saved_fd_ = -1;
    return;
  }
  ::close(fds[1]);
  read_fd_ = fds[0];
  terminal_ = ::fdopen(::dup(saved_fd_), "w");
  if (terminal_) std::setvbuf(terminal_, nullptr, _IOLBF, 0);
  reader_ = std::thread([this] {
    std::string pending;
    char buffer[4096];
    ssize_t n;
    while ((n = ::read(read_fd_, buffer, sizeof buffer)) > 0) {
      pending.append(buffer, static_cast<std::size_t>(n));
      std::size_t end;
      while ((end = pending.find('\n')) != std::string::npos) {
        if (end > 0) on_line_(pending.substr(0, end));
        pending.erase(0, end + 1);
      }
    }
    if (!pending.empty()) on_line_(pending);
  });
}

StderrCapture::~StderrCapture() {
  if (saved_fd_ < 0) return;
  std::fflush(stderr);
  ::dup2(saved_fd_, STDERR_FILENO);  // closes the pipe's last write end: the reader sees EOF
  ::close(saved_fd_);
  if (reader_.joinable()) reader_.join();
  ::close(read_fd_);
  if (terminal_) std::fclose(terminal_);
}

}  // namespace imgflow::cli
