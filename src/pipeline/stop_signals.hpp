// Internal: keeping SIGINT and SIGTERM away from the run's own I/O threads.
#pragma once

#include <pthread.h>

#include <csignal>

namespace imgflow::detail {

/// Blocks SIGINT and SIGTERM in the calling thread (the pools' I/O threads),
/// so a program's handler for them never runs in the middle of writing a file.
inline void block_stop_signals() noexcept {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
}

}  // namespace imgflow::detail
