// Fuzz target for the replay options that take text: `--time-range` (parse_time_range) and
// `--speedup` (parse_speedup). Any bytes give a value or an error, never a crash; an accepted
// range has FROM < TO when both ends count from the same origin, each end written back as
// seconds (or RFC 3339) parses to the same time, and an accepted speedup is a reduced fraction
// in (0, 1e9] whose decimal parses back to it; an error names the text it refuses.
#include <cstdint>
#include <cstdio>
#include <numeric>
#include <string>
#include <string_view>

#include "egress/capture/packet_selection.h"
#include "egress/replay/scaled_source.h"
#include "fuzz_checks.h"

namespace {

using egress::Result;
using egress::TimePoint;
using egress::TimeRange;
using egress::fuzz::check;

constexpr int64_t kNsPerSecond = 1'000'000'000;

std::string quote(std::string_view text) {
  std::string out(1, '\'');
  out.append(text);
  out += '\'';
  return out;
}

// SECONDS.NNNNNNNNN, with '+' when relative.
std::string seconds_text(const TimePoint& p) {
  char buf[48];
  std::snprintf(buf, sizeof buf, "%s%lld.%09lld", p.relative ? "+" : "",
                static_cast<long long>(p.ns / kNsPerSecond),
                static_cast<long long>(p.ns % kNsPerSecond));
  return buf;
}

// The UTC RFC 3339 spelling of an absolute time (Howard Hinnant's civil_from_days).
std::string rfc3339_text(int64_t ns) {
  int64_t seconds = ns / kNsPerSecond;
  int64_t fraction = ns % kNsPerSecond;
  if (fraction < 0) {
    fraction += kNsPerSecond;
    --seconds;
  }
  int64_t days = seconds / 86400;
  int64_t in_day = seconds % 86400;
  if (in_day < 0) {
    in_day += 86400;
    --days;
  }
  const int64_t z = days + 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const int64_t doe = z - era * 146097;
  const int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const int64_t mp = (5 * doy + 2) / 153;
  const int64_t day = doy - (153 * mp + 2) / 5 + 1;
  const int64_t month = mp < 10 ? mp + 3 : mp - 9;
  const int64_t year = yoe + era * 400 + (month <= 2 ? 1 : 0);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%04lld-%02lld-%02lldT%02lld:%02lld:%02lld.%09lldZ",
                static_cast<long long>(year), static_cast<long long>(month),
                static_cast<long long>(day), static_cast<long long>(in_day / 3600),
                static_cast<long long>(in_day / 60 % 60), static_cast<long long>(in_day % 60),
                static_cast<long long>(fraction));
  return buf;
}

void check_point(const TimePoint& p) {
  if (p.relative || p.ns >= 0) {
    Result<TimePoint> again = egress::parse_time_point(seconds_text(p));
    check(again.ok() && *again == p, "a time written back as seconds parses to itself");
  }
  if (!p.relative) {
    Result<TimePoint> again = egress::parse_time_point(rfc3339_text(p.ns));
    check(again.ok() && *again == p, "a time written back as RFC 3339 parses to itself");
  }
}

void check_time_range(std::string_view text) {
  Result<TimeRange> r = egress::parse_time_range(text);
  if (!r) {
    check(r.error().code == "time-range", "time range error code");
    // The message quotes the whole text or the end it refuses.
    const size_t dots = text.find("..");
    const std::string& m = r.error().message;
    bool named = m.find(quote(text)) != std::string::npos;
    if (dots != std::string_view::npos) {
      named = named || m.find(quote(text.substr(0, dots))) != std::string::npos ||
              m.find(quote(text.substr(dots + 2))) != std::string::npos;
    }
    check(named, "a time range error names the text");
    return;
  }
  if (r->from && r->to && r->from->relative == r->to->relative) {
    check(r->from->ns < r->to->ns, "FROM before TO");
  }
  std::string again_text;
  if (r->from) {
    check_point(*r->from);
    again_text = seconds_text(*r->from);
  }
  again_text += "..";
  if (r->to) {
    check_point(*r->to);
    again_text += seconds_text(*r->to);
  }
  if ((!r->from || r->from->relative || r->from->ns >= 0) &&
      (!r->to || r->to->relative || r->to->ns >= 0)) {
    Result<TimeRange> again = egress::parse_time_range(again_text);
    check(again.ok() && *again == *r, "a range written back parses to itself");
  }
}

void check_speedup(std::string_view text) {
  Result<egress::Speedup> s = egress::parse_speedup(text);
  if (!s) {
    check(s.error().code == "bad-speedup", "speedup error code");
    check(s.error().message.find(quote(text)) != std::string::npos,
          "a speedup error names the text");
    return;
  }
  check(s->num > 0 && s->den > 0 && std::gcd(s->num, s->den) == 1, "a reduced fraction");
  check(kNsPerSecond % s->den == 0, "at most 9 decimals");
  check(s->num / s->den < 1'000'000'000 || (s->num == 1'000'000'000 && s->den == 1), "at most 1e9");
  std::string decimal = std::to_string(s->num / s->den);
  if (s->den != 1) {
    std::string fraction = std::to_string(s->num % s->den * (kNsPerSecond / s->den));
    fraction.insert(0, 9 - fraction.size(), '0');
    fraction.erase(fraction.find_last_not_of('0') + 1);
    decimal += "." + fraction;
  }
  Result<egress::Speedup> again = egress::parse_speedup(decimal);
  check(again.ok() && again->num == s->num && again->den == s->den,
        "a speedup written back parses to itself");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  check_time_range(text);
  check_speedup(text);
  return 0;
}
