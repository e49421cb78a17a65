#include "egress/capture/packet_selection.h"

#include <pcap/pcap.h>

#include <limits>
#include <span>
#include <utility>
#include <vector>

#include "capture/link_types_internal.h"

namespace egress {
namespace {

constexpr int64_t kNsPerSecond = 1'000'000'000;
constexpr int kMaxFractionDigits = 9;
// libpcap's largest snaplen: the filter sees packets as long as they were captured.
constexpr int kFilterSnaplen = 262144;

Diagnostic time_error(std::string message) {
  return Diagnostic{"time-range", std::move(message), {}};
}

// 'text', built without `"'" + std::string` (GCC 12 warns falsely on it, -Wrestrict).
std::string quote(std::string_view text) {
  std::string out(1, '\'');
  out.append(text);
  out += '\'';
  return out;
}

bool is_digit(char c) {
  return c >= '0' && c <= '9';
}

// SECONDS[.FRACTION] to nanoseconds, exactly; nullopt when it is not that or too large.
std::optional<int64_t> parse_seconds(std::string_view text, std::string& why) {
  const size_t dot = text.find('.');
  const std::string_view whole = text.substr(0, dot);
  const std::string_view fraction =
      dot == std::string_view::npos ? std::string_view() : text.substr(dot + 1);
  if (whole.empty() || (dot != std::string_view::npos && fraction.empty())) {
    return std::nullopt;
  }
  for (std::string_view part : {whole, fraction}) {
    for (char c : part) {
      if (!is_digit(c)) {
        return std::nullopt;
      }
    }
  }
  if (fraction.size() > kMaxFractionDigits) {
    why = "more than 9 decimals (nanoseconds)";
    return std::nullopt;
  }
  int64_t seconds = 0;
  for (char c : whole) {
    if (__builtin_mul_overflow(seconds, 10, &seconds) ||
        __builtin_add_overflow(seconds, c - '0', &seconds)) {
      why = "too large";
      return std::nullopt;
    }
  }
  int64_t ns = 0;
  for (size_t i = 0; i < kMaxFractionDigits; ++i) {
    ns = ns * 10 + (i < fraction.size() ? fraction[i] - '0' : 0);
  }
  int64_t total = 0;
  if (__builtin_mul_overflow(seconds, kNsPerSecond, &total) ||
      __builtin_add_overflow(total, ns, &total)) {
    why = "too large";
    return std::nullopt;
  }
  return total;
}

// Days from 1970-01-01 to a proleptic Gregorian date (Howard Hinnant's days_from_civil).
int64_t days_from_civil(int64_t y, unsigned m, unsigned d) {
  y -= m <= 2 ? 1 : 0;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const auto yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<int64_t>(doe) - 719468;
}

unsigned days_in_month(int64_t y, unsigned m) {
  static constexpr unsigned kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  const bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
  return m == 2 && leap ? 29 : kDays[m - 1];
}

// Reads `count` digits at `at` into `out`.
bool digits(std::string_view text, size_t at, size_t count, unsigned& out) {
  if (at + count > text.size()) {
    return false;
  }
  out = 0;
  for (size_t i = at; i < at + count; ++i) {
    if (!is_digit(text[i])) {
      return false;
    }
    out = out * 10 + static_cast<unsigned>(text[i] - '0');
  }
  return true;
}

// YYYY-MM-DD(T|t| )HH:MM:SS[.F{1,9}](Z|z|(+|-)HH:MM), RFC 3339 section 5.6.
Result<TimePoint> parse_rfc3339(std::string_view text) {
  const std::string quoted = quote(text) + " is not a time: ";
  unsigned year = 0;
  unsigned month = 0;
  unsigned day = 0;
  unsigned hour = 0;
  unsigned minute = 0;
  unsigned second = 0;
  const bool shape =
      digits(text, 0, 4, year) && text.size() > 4 && text[4] == '-' && digits(text, 5, 2, month) &&
      text.size() > 7 && text[7] == '-' && digits(text, 8, 2, day) && text.size() > 10 &&
      (text[10] == 'T' || text[10] == 't' || text[10] == ' ') && digits(text, 11, 2, hour) &&
      text.size() > 13 && text[13] == ':' && digits(text, 14, 2, minute) && text.size() > 16 &&
      text[16] == ':' && digits(text, 17, 2, second);
  if (!shape) {
    return time_error(quoted + "expected YYYY-MM-DDTHH:MM:SS, then Z or an offset");
  }
  size_t at = 19;
  int64_t fraction_ns = 0;
  if (at < text.size() && text[at] == '.') {
    size_t end = at + 1;
    while (end < text.size() && is_digit(text[end])) {
      ++end;
    }
    const size_t count = end - at - 1;
    if (count == 0 || count > kMaxFractionDigits) {
      return time_error(quoted + "the fraction of a second needs 1 to 9 digits");
    }
    for (size_t i = 0; i < kMaxFractionDigits; ++i) {
      fraction_ns = fraction_ns * 10 + (i < count ? text[at + 1 + i] - '0' : 0);
    }
    at = end;
  }
  int64_t offset_s = 0;
  if (at < text.size() && (text[at] == 'Z' || text[at] == 'z')) {
    ++at;
  } else if (at < text.size() && (text[at] == '+' || text[at] == '-')) {
    unsigned oh = 0;
    unsigned om = 0;
    if (!digits(text, at + 1, 2, oh) || at + 3 >= text.size() || text[at + 3] != ':' ||
        !digits(text, at + 4, 2, om) || oh > 23 || om > 59) {
      return time_error(quoted + "the offset must be +HH:MM or -HH:MM");
    }
    offset_s = (text[at] == '+' ? 1 : -1) * static_cast<int64_t>(oh * 3600 + om * 60);
    at += 6;
  } else {
    return time_error(quoted + "no time zone: end it with Z (UTC) or an offset such as +01:00");
  }
  if (at != text.size()) {
    return time_error(quoted + "unexpected '" + std::string(text.substr(at)) + "' at the end");
  }
  if (month < 1 || month > 12) {
    return time_error(quoted + "month " + std::to_string(month));
  }
  if (day < 1 || day > days_in_month(year, month)) {
    return time_error(quoted + "day " + std::to_string(day) + " of month " + std::to_string(month));
  }
  // 60: a leap second, which POSIX time folds into the next.
  if (hour > 23 || minute > 59 || second > 60) {
    return time_error(quoted + "time of day " + std::string(text.substr(11, 8)));
  }
  const int64_t seconds =
      days_from_civil(year, month, day) * 86400 + hour * 3600 + minute * 60 + second - offset_s;
  int64_t ns = 0;
  if (__builtin_mul_overflow(seconds, kNsPerSecond, &ns) ||
      __builtin_add_overflow(ns, fraction_ns, &ns)) {
    return time_error(quoted + "outside the years 1678 to 2261 that nanoseconds since 1970 hold");
  }
  return TimePoint{ns, false};
}

class FilterSource final : public PacketSource {
 public:
  FilterSource(std::unique_ptr<PacketSource> inner, std::string expression,
               std::vector<std::string> input_names)
      : inner_(std::move(inner)),
        expression_(std::move(expression)),
        input_names_(std::move(input_names)) {}
  ~FilterSource() override {
    for (Program& p : programs_) {
      pcap_freecode(&p.code);
    }
  }
  FilterSource(const FilterSource&) = delete;
  FilterSource& operator=(const FilterSource&) = delete;

  // libpcap's message when it cannot compile the expression for `link_type`; "" when done.
  // `eager`: the check before any packet, where a filter that rejects every packet is the
  // error tcpdump makes it; later it only passes nothing of that link type.
  std::string compile(uint16_t link_type, bool eager = false) {
    // libpcap 1.10 filters no NFLOG ("NFLOG link-layer type filtering not implemented"):
    // the filter applies to the IP packet the payload TLV holds, as raw IP.
    const bool nflog = link_type == kLinkNflog;
    pcap_t* dead =
        pcap_open_dead(dlt_of_link_type(nflog ? uint16_t{kLinkRaw} : link_type), kFilterSnaplen);
    if (dead == nullptr) {
      return "libpcap cannot open link type " + std::to_string(link_type);
    }
    Program p;
    p.link_type = link_type;
    p.mode = nflog ? Mode::kNflogPayload : Mode::kWhole;
    std::string error;
    if (pcap_compile(dead, &p.code, expression_.c_str(), 1, PCAP_NETMASK_UNKNOWN) != 0) {
      error = pcap_geterr(dead);
      if (error.empty()) {
        error = "libpcap cannot compile the filter";
      }
      // What libpcap's optimizer says when it proves no packet can match (`ip6` on IPV4).
      if (!eager && error == "expression rejects all packets") {
        error.clear();
        p.mode = Mode::kRejectAll;
        p.code = bpf_program{};
        programs_.push_back(p);
      }
    } else {
      programs_.push_back(p);
    }
    pcap_close(dead);
    return error;
  }

  Result<bool> next(RawPacket& out) override {
    for (;;) {
      Result<bool> more = inner_->next(out);
      if (!more.ok() || !*more) {
        return more;
      }
      if (!find_program(out.link_type)) {
        const std::string why = compile(out.link_type);
        if (!why.empty()) {
          Diagnostic d{"capture-filter",
                       "packet " + std::to_string(out.number) + " (offset " +
                           std::to_string(out.offset) +
                           "): the filter cannot be applied to link type " +
                           link_type_name(out.link_type) + ": " + why,
                       {}};
          if (out.input < input_names_.size()) {
            d.where.file = input_names_[out.input];
          } else {
            d.message = "input " + std::to_string(out.input) + ": " + d.message;
          }
          return d;
        }
      }
      if (matches(programs_[last_], out)) {
        return true;
      }
    }
  }
  const std::vector<Diagnostic>& warnings() const override { return inner_->warnings(); }

 private:
  enum class Mode : uint8_t {
    kWhole,         // the filter sees the packet as captured
    kNflogPayload,  // the filter, compiled for raw IP, sees NFLOG's payload TLV
    kRejectAll,     // libpcap proved that nothing of this link type matches
  };
  struct Program {
    uint16_t link_type = 0;
    Mode mode = Mode::kWhole;
    bpf_program code{};
  };

  // Points last_ at the program for `link_type`; false when there is none yet.
  bool find_program(uint16_t link_type) {
    // Captures rarely hold more than one or two link types: the last one used comes first.
    if (last_ < programs_.size() && programs_[last_].link_type == link_type) {
      return true;
    }
    for (size_t i = 0; i < programs_.size(); ++i) {
      if (programs_[i].link_type == link_type) {
        last_ = i;
        return true;
      }
    }
    last_ = programs_.size();  // the one compile() is about to add
    return false;
  }

  static bool matches(const Program& program, const RawPacket& packet) {
    size_t offset = 0;
    switch (program.mode) {
      case Mode::kRejectAll:
        return false;
      case Mode::kNflogPayload:
        if (!nflog_payload(packet.data, offset)) {
          return false;
        }
        break;
      case Mode::kWhole:
        break;
    }
    pcap_pkthdr header{};
    header.caplen = static_cast<bpf_u_int32>(packet.data.size() - offset);
    header.len = packet.orig_len > offset ? static_cast<bpf_u_int32>(packet.orig_len - offset)
                                          : header.caplen;
    return pcap_offline_filter(&program.code, &header, packet.data.data() + offset) != 0;
  }

  // Where NFLOG's NFULA_PAYLOAD starts: after the 4-byte header, TLVs whose length (header
  // included) and type are in host byte order, padded to 4 bytes.
  static bool nflog_payload(std::span<const uint8_t> data, size_t& offset) {
    constexpr uint16_t kPayload = 9;
    constexpr uint16_t kTypeMask = 0x3FFF;  // above: NLA_F_NESTED, NLA_F_NET_BYTEORDER
    size_t at = 4;
    while (at + 4 <= data.size()) {
      const size_t length = data[at] | (data[at + 1] << 8);
      const uint16_t type = static_cast<uint16_t>((data[at + 2] | (data[at + 3] << 8)) & kTypeMask);
      if (length < 4) {
        return false;
      }
      if (type == kPayload) {
        offset = at + 4;
        return offset < data.size();
      }
      at += (length + 3) & ~size_t{3};
    }
    return false;
  }

  std::unique_ptr<PacketSource> inner_;
  std::string expression_;
  std::vector<std::string> input_names_;
  std::vector<Program> programs_;
  size_t last_ = 0;
};

class TimeRangeSource final : public PacketSource {
 public:
  TimeRangeSource(std::unique_ptr<PacketSource> inner, const TimeRange& range)
      : inner_(std::move(inner)), range_(range) {}

  Result<bool> next(RawPacket& out) override {
    for (;;) {
      Result<bool> more = inner_->next(out);
      if (!more.ok() || !*more) {
        return more;
      }
      if (!resolved_) {
        resolved_ = true;
        from_ = resolve(range_.from, out.ts_ns, std::numeric_limits<int64_t>::min());
        to_ = resolve(range_.to, out.ts_ns, std::numeric_limits<int64_t>::max());
        // An open end takes in INT64_MAX itself, which clamped timestamps may hold.
        to_open_ = !range_.to.has_value();
      }
      if (out.ts_ns >= from_ && (to_open_ || out.ts_ns < to_)) {
        return true;
      }
    }
  }
  const std::vector<Diagnostic>& warnings() const override { return inner_->warnings(); }

 private:
  static int64_t resolve(const std::optional<TimePoint>& point, int64_t first, int64_t open) {
    if (!point) {
      return open;
    }
    if (!point->relative) {
      return point->ns;
    }
    int64_t at = 0;
    return __builtin_add_overflow(first, point->ns, &at) ? std::numeric_limits<int64_t>::max() : at;
  }

  std::unique_ptr<PacketSource> inner_;
  TimeRange range_;
  bool resolved_ = false;
  bool to_open_ = true;
  int64_t from_ = 0;
  int64_t to_ = 0;
};

class CountSource final : public PacketSource {
 public:
  CountSource(std::unique_ptr<PacketSource> inner, uint64_t count)
      : inner_(std::move(inner)), count_(count) {}

  Result<bool> next(RawPacket& out) override {
    if (passed_ >= count_) {
      return false;
    }
    Result<bool> more = inner_->next(out);
    if (more.ok() && *more) {
      ++passed_;
    }
    return more;
  }
  const std::vector<Diagnostic>& warnings() const override { return inner_->warnings(); }

 private:
  std::unique_ptr<PacketSource> inner_;
  uint64_t count_;
  uint64_t passed_ = 0;
};

}  // namespace

Result<TimePoint> parse_time_point(std::string_view text) {
  std::string why;
  if (!text.empty() && text[0] == '+') {
    std::optional<int64_t> ns = parse_seconds(text.substr(1), why);
    if (!ns) {
      return time_error(quote(text) + " is not +SECONDS after the first packet" +
                        (why.empty() ? "" : ": " + why));
    }
    return TimePoint{*ns, true};
  }
  if (text.find('-') != std::string_view::npos || text.find(':') != std::string_view::npos) {
    return parse_rfc3339(text);
  }
  std::optional<int64_t> ns = parse_seconds(text, why);
  if (!ns) {
    return time_error(quote(text) +
                      " is not a time: expected +SECONDS (after the first packet), SECONDS "
                      "since 1970 or an RFC 3339 time such as 2023-11-14T22:13:20Z" +
                      (why.empty() ? "" : " (" + why + ")"));
  }
  return TimePoint{*ns, false};
}

Result<TimeRange> parse_time_range(std::string_view text) {
  const size_t dots = text.find("..");
  if (dots == std::string_view::npos) {
    return time_error(quote(text) +
                      " has no '..': expected FROM..TO, either end left out when open");
  }
  TimeRange range;
  const std::string_view from = text.substr(0, dots);
  const std::string_view to = text.substr(dots + 2);
  if (!from.empty()) {
    Result<TimePoint> point = parse_time_point(from);
    if (!point) {
      return point.error();
    }
    range.from = *point;
  }
  if (!to.empty()) {
    Result<TimePoint> point = parse_time_point(to);
    if (!point) {
      return point.error();
    }
    range.to = *point;
  }
  if (range.from && range.to && range.from->relative == range.to->relative &&
      range.from->ns >= range.to->ns) {
    return time_error(quote(text) +
                      " is empty: FROM must come before TO (the range is FROM <= t < TO)");
  }
  return range;
}

Result<std::unique_ptr<PacketSource>> filter_packets(std::unique_ptr<PacketSource> source,
                                                     const std::string& expression,
                                                     std::vector<std::string> input_names) {
  auto filter =
      std::make_unique<FilterSource>(std::move(source), expression, std::move(input_names));
  const std::string why = filter->compile(kLinkEthernet, true);
  if (!why.empty()) {
    return Diagnostic{"capture-filter", why, {}};
  }
  return std::unique_ptr<PacketSource>(std::move(filter));
}

std::unique_ptr<PacketSource> packets_in_time_range(std::unique_ptr<PacketSource> source,
                                                    const TimeRange& range) {
  return std::make_unique<TimeRangeSource>(std::move(source), range);
}

std::unique_ptr<PacketSource> first_packets(std::unique_ptr<PacketSource> source, uint64_t count) {
  return std::make_unique<CountSource>(std::move(source), count);
}

Result<std::unique_ptr<PacketSource>> select_packets(std::unique_ptr<PacketSource> source,
                                                     const PacketSelection& selection) {
  if (selection.time_range) {
    source = packets_in_time_range(std::move(source), *selection.time_range);
  }
  if (!selection.filter.empty()) {
    Result<std::unique_ptr<PacketSource>> filtered =
        filter_packets(std::move(source), selection.filter, selection.input_names);
    if (!filtered) {
      return filtered.error();
    }
    source = std::move(*filtered);
  }
  if (selection.count != 0) {
    source = first_packets(std::move(source), selection.count);
  }
  return source;
}

}  // namespace egress
