#include "server/metrics.h"

#include <cstdio>

namespace egress {

void Metrics::record(const std::string& route, unsigned status, double seconds) {
  std::lock_guard<std::mutex> lock(mutex_);
  auto it = routes_.find(route);
  if (it == routes_.end()) {
    it = routes_.emplace(route, Route{}).first;
  }
  ++it->second.requests[status];
  Histogram& h = it->second.latency;
  for (size_t i = 0; i < kBuckets.size(); ++i) {
    if (seconds <= kBuckets[i]) {
      ++h.counts[i];
    }
  }
  ++h.count;
  h.sum += seconds;
}

void Metrics::replay_started() {
  ++replays_;
  ++in_flight_;
}

void Metrics::replay_finished() {
  --in_flight_;
}

namespace {

std::string number(double v) {
  char text[32];
  std::snprintf(text, sizeof text, "%.9g", v);
  return text;
}

}  // namespace

std::string Metrics::render() const {
  std::string out;
  out +=
      "# HELP egress_http_requests_total HTTP requests answered, by route and status.\n"
      "# TYPE egress_http_requests_total counter\n";
  std::lock_guard<std::mutex> lock(mutex_);
  for (const auto& [route, r] : routes_) {
    for (const auto& [code, n] : r.requests) {
      out += "egress_http_requests_total{route=\"" + route + "\",code=\"" + std::to_string(code) +
             "\"} " + std::to_string(n) + "\n";
    }
  }
  out +=
      "# HELP egress_http_request_seconds Time from a request's header to its answer's end.\n"
      "# TYPE egress_http_request_seconds histogram\n";
  for (const auto& [route, r] : routes_) {
    const Histogram& h = r.latency;
    const std::string label = "route=\"" + route + "\"";
    for (size_t i = 0; i < kBuckets.size(); ++i) {
      out += "egress_http_request_seconds_bucket{" + label + ",le=\"" + number(kBuckets[i]) +
             "\"} " + std::to_string(h.counts[i]) + "\n";
    }
    out += "egress_http_request_seconds_bucket{" + label + ",le=\"+Inf\"} " +
           std::to_string(h.count) + "\n";
    out += "egress_http_request_seconds_sum{" + label + "} " + number(h.sum) + "\n";
    out += "egress_http_request_seconds_count{" + label + "} " + std::to_string(h.count) + "\n";
  }
  out +=
      "# HELP egress_replays_total Replays, syntheses, diffs and migrations started.\n"
      "# TYPE egress_replays_total counter\n"
      "egress_replays_total " +
      std::to_string(replays_.load()) +
      "\n"
      "# HELP egress_replay_packets_total Packets replayed.\n"
      "# TYPE egress_replay_packets_total counter\n"
      "egress_replay_packets_total " +
      std::to_string(packets_.load()) +
      "\n"
      "# HELP egress_replays_in_flight Replays, syntheses, diffs and migrations running.\n"
      "# TYPE egress_replays_in_flight gauge\n"
      "egress_replays_in_flight " +
      std::to_string(in_flight_.load()) + "\n";
  return out;
}

}  // namespace egress
