// The counters /metrics shows, in Prometheus text format (version 0.0.4).
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <utility>

namespace egress {

class Metrics {
 public:
  /// One answered request: its route template (`/v1/topologies/{name}`), status, seconds.
  void record(const std::string& route, unsigned status, double seconds);
  void replay_started();
  void replay_finished();
  void add_packets(uint64_t packets) { packets_ += packets; }
  uint64_t replays_in_flight() const { return in_flight_.load(); }
  std::string render() const;

 private:
  static constexpr std::array<double, 12> kBuckets = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
                                                      0.05,   0.1,   0.25,   1,     5,    30};
  struct Histogram {
    std::array<uint64_t, kBuckets.size()> counts{};
    uint64_t count = 0;
    double sum = 0;
  };
  struct Route {
    std::map<unsigned, uint64_t> requests;  // by status
    Histogram latency;
  };
  mutable std::mutex mutex_;
  // Found by the label without a copy of it: record() runs for every request.
  std::map<std::string, Route, std::less<>> routes_;
  std::atomic<uint64_t> replays_{0};
  std::atomic<uint64_t> packets_{0};
  std::atomic<uint64_t> in_flight_{0};
};

}  // namespace egress
