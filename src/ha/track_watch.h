// What the VRRP engine watches for track_file and vrrp_track_process (docs/ha.md,
// "Tracking"): files through inotify on their directories (a non-blocking fd in the
// engine's poll, as keepalived's track_file.c), processes through a scan of /proc on a
// thread of its own, every second and, where the kernel's process events are to be had
// (proc_events.h: not inside a network namespace), soon after one that may change a
// count; the counts are handed over through an eventfd, so the VRRP thread never waits
// on a scan.
#pragma once

#include <atomic>
#include <cstdint>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "base/expected.h"
#include "ha/proc_events.h"
#include "ha/tracking.h"

namespace gale::ha {

struct WatchedFile {
  std::string name;  // the track_file's
  std::string path;
  std::optional<int32_t> init_value;  // init_file: written when the file is missing
  bool init_overwrite = false;        // ... or always (a regular file)
};

class FileWatch {
 public:
  // Writes the init_files, watches every file's directory and reads every file. An error
  // names a file whose directory cannot be watched.
  static Expected<FileWatch> open(std::vector<WatchedFile> files);
  FileWatch(FileWatch&& o) noexcept;
  FileWatch& operator=(FileWatch&&) = delete;
  ~FileWatch();

  int fd() const { return fd_; }
  // Reads the waiting events; the indices of files whose value changed.
  std::vector<size_t> drain();
  size_t count() const { return files_.size(); }
  int64_t value(size_t i) const { return values_[i]; }
  const WatchedFile& file(size_t i) const { return files_[i]; }

 private:
  FileWatch() = default;
  // Reads file i (missing or empty: 0; out of range: unchanged). True when it changed.
  bool reread(size_t i);
  int fd_ = -1;
  std::vector<WatchedFile> files_;
  std::vector<int> wds_;           // each file's directory watch
  std::vector<std::string> base_;  // each file's name within its directory
  std::vector<int64_t> values_;
};

// The number of running (not zombie) processes each match counts, from one pass over
// /proc.
std::vector<uint32_t> count_processes(const std::vector<ProcessMatch>& matches);

class ProcessWatch {
 public:
  // Counts at once (the caller's first verdict), then every `interval` on its thread.
  ProcessWatch(std::vector<ProcessMatch> matches, Micros interval);
  ~ProcessWatch();
  ProcessWatch(const ProcessWatch&) = delete;
  ProcessWatch& operator=(const ProcessWatch&) = delete;

  int fd() const { return fd_; }  // readable when a scan changed a count
  // The latest counts (the fd drained).
  std::vector<uint32_t> counts();
  // Whether the kernel's process events hasten the scans (proc_events.h).
  bool has_events() const { return events_.has_value(); }

 private:
  void run(std::set<int> pids);
  std::vector<ProcessMatch> matches_;
  Micros interval_;
  int fd_ = -1;
  int stop_fd_ = -1;
  std::optional<ProcEvents> events_;  // read by the thread alone
  std::mutex mu_;
  std::vector<uint32_t> counts_;
  std::thread thread_;
};

}  // namespace gale::ha
