#include <gtest/gtest.h>

#include <chrono>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <thread>

#include "egress/app/app.h"
#include "egress/report/replay_report.h"
#include "server_test_util.h"

namespace egress {
namespace {

using namespace egress::testing;
using Json = nlohmann::json;

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

std::string capture_bytes() {
  return read_file(std::string(EGRESS_TOPOLOGIES_DIR) + "/captures/aks-udr-firewall-nodes.pcap");
}

// Waits (bounded) for a condition another thread makes true.
template <class F>
bool eventually(F f) {
  for (int i = 0; i < 200; ++i) {
    if (f()) {
      return true;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(25));
  }
  return f();
}

class ServerTest : public ::testing::Test {
 protected:
  void SetUp() override { server_ = start_server(); }
  uint16_t port() const { return server_->port(); }
  std::unique_ptr<Server> server_;
};

TEST_F(ServerTest, Healthz) {
  Reply r = get(port(), "/healthz");
  EXPECT_EQ(r.status, 200u);
  EXPECT_EQ(r.body, "ok\n");
  EXPECT_EQ(get(port(), "/readyz").status, 200u);
}

TEST_F(ServerTest, ModelsIsTheModelsJson) {
  Reply r = get(port(), "/v1/models");
  ASSERT_EQ(r.status, 200u);
  EXPECT_EQ(r.content_type, "application/json");
  Json j = Json::parse(r.body);
  ASSERT_TRUE(j.contains("models"));
  EXPECT_FALSE(j["models"].empty());
}

TEST_F(ServerTest, KeepAliveAnswersSeveralRequestsOnOneConnection) {
  Client c(port());
  EXPECT_EQ(c.request(http::verb::get, "/healthz").status, 200u);
  EXPECT_EQ(c.request(http::verb::get, "/v1/models").status, 200u);
}

TEST_F(ServerTest, TopologiesSortedByName) {
  Reply r = get(port(), "/v1/topologies");
  ASSERT_EQ(r.status, 200u);
  Json j = Json::parse(r.body);
  ASSERT_EQ(j["topologies"].size(), 2u);
  EXPECT_EQ(j["topologies"][0]["name"], "aks-loadbalancer");
  EXPECT_EQ(j["topologies"][1]["name"], "aks-udr-firewall");
  EXPECT_EQ(j["topologies"][1]["outboundType"], "userDefinedRouting");
  EXPECT_TRUE(j["topologies"][1]["subnets"].is_array());
  EXPECT_TRUE(j["topologies"][1]["vnets"].is_number());
  EXPECT_TRUE(j["topologies"][1]["findings"].is_number());
}

TEST_F(ServerTest, TopologyIsItsValidateAnswer) {
  Reply r = get(port(), "/v1/topologies/aks-loadbalancer");
  ASSERT_EQ(r.status, 200u);
  Json j = Json::parse(r.body);
  EXPECT_EQ(j["errors"], Json::array());
  EXPECT_TRUE(j["findings"].is_array());
}

TEST_F(ServerTest, UnknownTopologyIsAProblem) {
  Reply r = get(port(), "/v1/topologies/nope/routes?subnet=a/b");
  EXPECT_EQ(r.status, 404u);
  EXPECT_EQ(r.content_type, "application/problem+json");
  EXPECT_EQ(r.body,
            "{\"type\":\"https://egress-sim.dev/problems/unknown-topology\",\"title\":\"Not "
            "Found\",\"status\":404,\"detail\":\"no topology 'nope'; topologies: "
            "aks-loadbalancer, aks-udr-firewall\",\"code\":\"unknown-topology\"}\n");
}

TEST_F(ServerTest, RoutesOfASubnet) {
  Json list = Json::parse(get(port(), "/v1/topologies").body);
  const std::string subnet = list["topologies"][1]["subnets"][0];
  Reply r = get(port(), "/v1/topologies/aks-udr-firewall/routes?subnet=" + subnet);
  ASSERT_EQ(r.status, 200u) << r.body;
  EXPECT_TRUE(Json::parse(r.body).contains("routes"));
  Reply missing = get(port(), "/v1/topologies/aks-udr-firewall/routes?subnet=x/y");
  EXPECT_EQ(missing.status, 404u);
  EXPECT_EQ(Json::parse(missing.body)["code"], "unknown-subnet");
}

TEST_F(ServerTest, TraceOneAndABatch) {
  const std::string one = R"({"src":"10.224.0.4","dst":"20.1.2.3","dport":443})";
  Reply r = post(port(), "/v1/topologies/aks-loadbalancer/trace", one);
  ASSERT_EQ(r.status, 200u) << r.body;
  EXPECT_EQ(r.content_type, "application/json");
  Json j = Json::parse(r.body);
  EXPECT_TRUE(j.contains("verdict"));
  Reply batch = post(port(), "/v1/topologies/aks-loadbalancer/trace", "[" + one + "," + one + "]");
  ASSERT_EQ(batch.status, 200u);
  EXPECT_EQ(batch.content_type, "application/x-ndjson");
  EXPECT_EQ(batch.body, r.body + r.body);
}

TEST_F(ServerTest, BadJsonIsPlaced) {
  Reply r = post(port(), "/v1/topologies/aks-loadbalancer/trace", "{\"src\":\n  oops}");
  EXPECT_EQ(r.status, 400u);
  EXPECT_EQ(
      r.body,
      "{\"type\":\"https://egress-sim.dev/problems/bad-json\",\"title\":\"Bad "
      "Request\",\"status\":400,\"detail\":\"syntax error while parsing value - invalid "
      "literal; last read: '\\\"src\\\":<U+000A>  o'\",\"code\":\"bad-json\",\"file\":\"body\","
      "\"line\":2,\"column\":3}\n");
}

TEST_F(ServerTest, BadAddressAsTheCliSaysIt) {
  Reply r =
      post(port(), "/v1/topologies/aks-loadbalancer/trace",
           R"([{"src":"10.224.0.4","dst":"1.2.3.4"},{"src":"10.224.0.999","dst":"1.2.3.4"}])");
  EXPECT_EQ(r.status, 400u);
  Json j = Json::parse(r.body);
  EXPECT_EQ(j["code"], "bad-address");
  EXPECT_EQ(j["detail"], "[1].src: '10.224.0.999' is not an IPv4 or IPv6 address");
  Reply family = post(port(), "/v1/topologies/aks-loadbalancer/trace",
                      R"({"src":"10.224.0.4","dst":"2001:db8::1"})");
  EXPECT_EQ(Json::parse(family.body)["detail"],
            "src 10.224.0.4 is IPv4 but dst 2001:db8::1 is IPv6");
  Reply key = post(port(), "/v1/topologies/aks-loadbalancer/trace",
                   R"({"src":"10.224.0.4","dst":"1.1.1.1","dprt":1})");
  EXPECT_EQ(Json::parse(key.body)["detail"],
            "dprt: unknown key (known: src, dst, proto, sport, dport, host, seed)");
}

TEST_F(ServerTest, ValidateAPostedTopology) {
  Reply ok = post(port(), "/v1/validate", read_file(topology_path("aks-loadbalancer")));
  EXPECT_EQ(ok.status, 200u);
  Reply bad = post(port(), "/v1/validate", "vnets: [\n  {name: x, bogus: 1}]\n");
  EXPECT_EQ(bad.status, 422u);
  Json j = Json::parse(bad.body);
  ASSERT_FALSE(j["errors"].empty());
  EXPECT_EQ(j["errors"][0]["file"], "body");
}

TEST_F(ServerTest, ReplayStreamsRecordsThenTheSummary) {
  Reply r = post(port(), "/v1/topologies/aks-udr-firewall/replay", capture_bytes());
  ASSERT_EQ(r.status, 200u) << r.body;
  EXPECT_EQ(r.content_type, "application/x-ndjson");
  EXPECT_EQ(r.raw[http::field::transfer_encoding], "chunked");
  std::vector<std::string> lines;
  std::istringstream in(r.body);
  for (std::string line; std::getline(in, line);) {
    lines.push_back(line);
  }
  ASSERT_GE(lines.size(), 2u);
  Json last = Json::parse(lines.back());
  ASSERT_TRUE(last.contains("summary"));
  EXPECT_EQ(last["summary"]["flows"].get<uint64_t>(), lines.size() - 1);
  EXPECT_TRUE(Json::parse(lines.front()).contains("verdict"));
  EXPECT_EQ(server_->in_flight_replays(), 0u);
}

TEST_F(ServerTest, ACaptureThatIsNotOneIs422) {
  Reply r = post(port(), "/v1/topologies/aks-udr-firewall/replay", "this is not a capture");
  EXPECT_EQ(r.status, 422u);
  Json j = Json::parse(r.body);
  EXPECT_EQ(j["file"], "body");
  EXPECT_EQ(j["code"], "capture-open");
  EXPECT_EQ(j["detail"], "unknown file format");
  // A pcap header, then a record longer than the capture's snap length.
  std::string capture = capture_bytes().substr(0, 24);
  capture += std::string("\x01\0\0\0\0\0\0\0\xff\xff\xff\x0f\xff\xff\xff\x0f", 16);
  Reply broken = post(port(), "/v1/topologies/aks-udr-firewall/replay", capture);
  EXPECT_EQ(broken.status, 422u);
  EXPECT_EQ(Json::parse(broken.body)["detail"],
            "packet 1 (offset 24): invalid packet capture length 268435455, bigger than snaplen "
            "of 262144");
}

TEST_F(ServerTest, SynthStreams) {
  Reply r = post(port(), "/v1/topologies/aks-loadbalancer/synth", R"({"flows":20,"seed":3})");
  ASSERT_EQ(r.status, 200u) << r.body;
  EXPECT_NE(r.body.find("{\"summary\":"), std::string::npos);
  Reply bad = post(port(), "/v1/topologies/aks-loadbalancer/synth", R"({"flows":0})");
  EXPECT_EQ(bad.status, 400u);
  EXPECT_EQ(Json::parse(bad.body)["detail"], "flows: 0 is not a whole number from 1 to 10000000");
}

// A mix posted as synth's body gives what `synth --mix FILE` gives: the README capture's mix,
// its summary the same as the application layer's on the file; a bad mix is placed in it.
TEST_F(ServerTest, SynthWithAPostedMix) {
  const std::string mix_file =
      std::string(EGRESS_TOPOLOGIES_DIR) + "/mixes/aks-udr-firewall-nodes.yaml";
  Json body;
  body["mix"] = read_file(mix_file);
  Reply r = post(port(), "/v1/topologies/aks-udr-firewall/synth", body.dump());
  ASSERT_EQ(r.status, 200u) << r.body;
  const std::string last = r.body.substr(r.body.rfind("{\"summary\":"));
  SynthRequest request;
  request.topology = TopologyInput::file(topology_path("aks-udr-firewall"));
  request.settings.mix_path = mix_file;
  AppResult<ReplayAnswer> cli = run_synth(std::move(request), Context{});
  ASSERT_TRUE(cli.ok());
  EXPECT_EQ(last, "{\"summary\":" + summary_to_json(cli->summary) + "}\n");
  EXPECT_EQ(Json::parse(last)["summary"]["flows"], 250);
  // flows beside the mix override its own.
  body["flows"] = 10;
  Reply ten = post(port(), "/v1/topologies/aks-udr-firewall/synth", body.dump());
  ASSERT_EQ(ten.status, 200u) << ten.body;
  EXPECT_EQ(Json::parse(ten.body.substr(ten.body.rfind("{\"summary\":")))["summary"]["flows"], 10);
  Json bad;
  bad["mix"] = "flows: 10\nrate: fast\n";
  Reply wrong = post(port(), "/v1/topologies/aks-udr-firewall/synth", bad.dump());
  EXPECT_EQ(wrong.status, 422u);
  Json p = Json::parse(wrong.body);
  EXPECT_EQ(p["file"], "mix");
  EXPECT_EQ(p["line"], 2);
}

TEST_F(ServerTest, DiffAndMigrate) {
  Reply d = post(port(), "/v1/diff",
                 R"({"before":"aks-loadbalancer","after":"aks-udr-firewall","synth":20})");
  ASSERT_EQ(d.status, 200u) << d.body;
  EXPECT_TRUE(Json::parse(d.body).is_object());
  Reply m = post(port(), "/v1/topologies/aks-loadbalancer/migrate",
                 R"({"to":"managedNATGateway","synth":20})");
  ASSERT_EQ(m.status, 200u) << m.body;
  EXPECT_TRUE(Json::parse(m.body).is_object());
}

// The reports and pictures of the command line's --report, --svg and --dot, from the same
// renderers: the firewall tutorial's capture (README's main job) and a migration.
TEST_F(ServerTest, ReportsAndPictures) {
  Reply html = post(port(), "/v1/topologies/aks-udr-firewall/replay?report=html", capture_bytes());
  ASSERT_EQ(html.status, 200u) << html.body;
  EXPECT_EQ(html.content_type, "text/html; charset=utf-8");
  EXPECT_EQ(html.body.rfind("<!DOCTYPE html>", 0), 0u);
  EXPECT_NE(html.body.find("20.83.201.36"), std::string::npos);
  EXPECT_NE(html.body.find("appliance-deny"), std::string::npos);
  EXPECT_NE(html.body.find("<svg"), std::string::npos);
  EXPECT_EQ(html.body.find("src=\"http"), std::string::npos);
  Reply md = post(port(), "/v1/topologies/aks-loadbalancer/migrate?report=md",
                  R"({"to":"managedNATGateway","synth":50,"seed":1})");
  ASSERT_EQ(md.status, 200u) << md.body;
  EXPECT_EQ(md.content_type, "text/markdown; charset=utf-8");
  EXPECT_EQ(md.body.rfind("# ", 0), 0u);
  EXPECT_NE(md.body.find("managedNATGateway"), std::string::npos);
  Reply svg = get(port(),
                  "/v1/topologies/aks-udr-firewall/trace.svg?src=10.42.1.4&dst=140.82.121.4&"
                  "host=ghcr.io");
  ASSERT_EQ(svg.status, 200u) << svg.body;
  EXPECT_EQ(svg.content_type, "image/svg+xml");
  EXPECT_EQ(svg.body.rfind("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<svg", 0), 0u);
  EXPECT_NE(svg.body.find("20.83.201.36"), std::string::npos);
  Reply dot = get(port(), "/v1/topologies/aks-udr-firewall/trace.dot?src=10.42.1.4&dst=10.0.0.5");
  ASSERT_EQ(dot.status, 200u) << dot.body;
  EXPECT_EQ(dot.body.rfind("digraph", 0), 0u);
  Reply bad = post(port(), "/v1/topologies/aks-loadbalancer/replay?report=pdf", capture_bytes());
  EXPECT_EQ(bad.status, 400u);
  EXPECT_EQ(Json::parse(bad.body)["detail"], "report: 'pdf' is not html or md");
}

TEST_F(ServerTest, MalformedHttpIs400AndTheServerStaysUp) {
  Client c(port());
  c.send_raw("GET / HTTP/1.1\r\nHost: x\r\nBad Header\r\n\r\n");
  Reply r = c.read();
  EXPECT_EQ(r.status, 400u);
  EXPECT_EQ(Json::parse(r.body)["code"], "bad-http");
  EXPECT_EQ(get(port(), "/healthz").status, 200u);
}

TEST_F(ServerTest, PutWithoutATokenIsForbidden) {
  Client c(port());
  Reply r = c.request(http::verb::put, "/v1/topologies/x", "vnets: []\n");
  EXPECT_EQ(r.status, 403u);
}

TEST(ServerLimits, OversizedHeaderIs431) {
  ServerOptions o;
  o.max_header_bytes = 1024;
  auto server = start_server(o);
  Client c(server->port());
  c.send_raw("GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: " + std::string(2000, 'a') + "\r\n\r\n");
  EXPECT_EQ(c.read().status, 431u);
  EXPECT_EQ(get(server->port(), "/healthz").status, 200u);
}

TEST(ServerLimits, OversizedBodyIs413) {
  ServerOptions o;
  o.max_body_bytes = 100;
  auto server = start_server(o);
  Reply r = post(server->port(), "/v1/validate", std::string(101, 'a'));
  EXPECT_EQ(r.status, 413u);
  Client c(server->port());
  c.send_raw(
      "POST /v1/validate HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
      "65\r\n" +
      std::string(101, 'a') + "\r\n0\r\n\r\n");
  EXPECT_EQ(c.read().status, 413u);
  EXPECT_EQ(get(server->port(), "/healthz").status, 200u);
}

TEST(ServerLimits, SlowlorisIsCutOffAndOthersAreAnswered) {
  ServerOptions o;
  o.request_timeout_s = 1;
  auto server = start_server(o);
  Client slow(server->port());
  bool closed = false;
  const std::string request = "GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: aaaaaaaaaaaaaaaa\r\n";
  for (char byte : request) {
    slow.send_raw(std::string(1, byte));
    EXPECT_EQ(get(server->port(), "/healthz").status, 200u);
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    if (byte == 'a') {
      closed = slow.closed_within(0.2);
      if (closed) {
        break;
      }
    }
  }
  EXPECT_TRUE(closed);
}

TEST(ServerLimits, TooManyReplaysIs429) {
  ServerOptions o;
  o.max_replays = 1;
  auto server = start_server(o);
  Client first(server->port());
  const std::string capture = capture_bytes();
  first.send_raw(
      "POST /v1/topologies/aks-udr-firewall/replay HTTP/1.1\r\nHost: x\r\n"
      "Content-Length: " +
      std::to_string(capture.size()) + "\r\n\r\n" + capture.substr(0, 100));
  ASSERT_TRUE(eventually([&] { return server->in_flight_replays() == 1; }));
  Reply second = post(server->port(), "/v1/topologies/aks-udr-firewall/replay", capture);
  EXPECT_EQ(second.status, 429u);
  first.send_raw(capture.substr(100));
  EXPECT_EQ(first.read().status, 200u);
}

// A replay's slot is free once its answer is: a client that waits for each answer before
// sending the next request is never refused, even while the last one's thread still closes
// its connection.
TEST(ServerLimits, OneAfterAnotherIsNeverRefused) {
  ServerOptions o;
  o.max_replays = 1;
  auto server = start_server(o);
  const std::string capture = capture_bytes();
  for (int i = 0; i < 200; ++i) {
    Reply r = post(server->port(), "/v1/topologies/aks-udr-firewall/replay", capture);
    ASSERT_EQ(r.status, 200u) << "request " << i << ": " << r.body;
  }
}

TEST(ServerLimits, DisconnectMidReplayFreesIt) {
  auto server = start_server();
  const std::string capture = capture_bytes();
  {
    Client c(server->port());
    c.send_raw(
        "POST /v1/topologies/aks-udr-firewall/replay HTTP/1.1\r\nHost: x\r\n"
        "Content-Length: " +
        std::to_string(capture.size()) + "\r\n\r\n" + capture.substr(0, capture.size() / 2));
    ASSERT_TRUE(eventually([&] { return server->in_flight_replays() == 1; }));
  }
  EXPECT_TRUE(eventually([&] { return server->in_flight_replays() == 0; }));
  Reply metrics = get(server->port(), "/metrics");
  EXPECT_NE(metrics.body.find("egress_replays_in_flight 0\n"), std::string::npos);
  EXPECT_NE(metrics.body.find("egress_replays_total 1\n"), std::string::npos);
}

TEST(ServerSwap, PutAndReloadWhileARequestRuns) {
  ServerOptions o;
  o.token = "s3cret";
  auto server = start_server(o);
  const std::string capture = capture_bytes();
  Client running(server->port());
  running.send_raw(
      "POST /v1/topologies/aks-udr-firewall/replay HTTP/1.1\r\nHost: x\r\n"
      "Authorization: Bearer s3cret\r\nContent-Length: " +
      std::to_string(capture.size()) + "\r\n\r\n" + capture.substr(0, 100));
  ASSERT_TRUE(eventually([&] { return server->in_flight_replays() == 1; }));
  // Replaced by another topology's text: the running replay keeps the one it started with.
  Client put(server->port());
  Reply p = put.request(http::verb::put, "/v1/topologies/aks-udr-firewall",
                        read_file(topology_path("aks-loadbalancer")), "s3cret");
  EXPECT_EQ(p.status, 200u) << p.body;
  Json list = Json::parse(get(server->port(), "/v1/topologies", "s3cret").body);
  EXPECT_EQ(list["topologies"][1]["outboundType"], "loadBalancer");
  ASSERT_TRUE(server->reload().ok());
  list = Json::parse(get(server->port(), "/v1/topologies", "s3cret").body);
  EXPECT_EQ(list["topologies"][1]["outboundType"], "userDefinedRouting");
  running.send_raw(capture.substr(100));
  Reply r = running.read();
  ASSERT_EQ(r.status, 200u);
  const std::string expected =
      post(server->port(), "/v1/topologies/aks-udr-firewall/replay", capture, "s3cret").body;
  EXPECT_EQ(r.body, expected);
  Client bad(server->port());
  Reply refused = bad.request(http::verb::put, "/v1/topologies/aks-udr-firewall",
                              "vnets: [\n  {name: x, bogus: 1}]\n", "s3cret");
  EXPECT_EQ(refused.status, 422u);
  EXPECT_EQ(Json::parse(refused.body)["file"], "aks-udr-firewall.yaml");
}

TEST(ServerAuth, TokenIsRequiredWhereGiven) {
  ServerOptions o;
  o.token = "s3cret";
  auto server = start_server(o);
  Reply none = get(server->port(), "/v1/models");
  EXPECT_EQ(none.status, 401u);
  EXPECT_EQ(none.raw[http::field::www_authenticate], "Bearer");
  EXPECT_EQ(get(server->port(), "/v1/models", "wrong").status, 401u);
  EXPECT_EQ(get(server->port(), "/v1/models", "s3cret").status, 200u);
  EXPECT_EQ(get(server->port(), "/healthz").status, 200u);
}

TEST(ServerAuth, NonLoopbackNeedsTokenOrInsecure) {
  ServerOptions o;
  o.listen = "0.0.0.0:8080";
  Result<bool> refused = check_listen(o);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().message,
            "--listen 0.0.0.0:8080 is not a loopback address: give --token TOKEN (clients send "
            "'Authorization: Bearer TOKEN') or --insecure to serve anyone who can reach it");
  o.token = "t";
  EXPECT_TRUE(check_listen(o).ok());
  o.token.clear();
  o.insecure = true;
  EXPECT_TRUE(check_listen(o).ok());
  o.listen = "[::1]:80";
  o.insecure = false;
  EXPECT_TRUE(check_listen(o).ok());
  o.listen = "localhost";
  EXPECT_EQ(check_listen(o).error().code, "bad-listen");
}

TEST(ServerCors, OffUnlessAsked) {
  auto plain = start_server();
  EXPECT_EQ(get(plain->port(), "/v1/models").raw.count("Access-Control-Allow-Origin"), 0u);
  ServerOptions o;
  o.cors_origin = "https://example.test";
  auto server = start_server(o);
  EXPECT_EQ(get(server->port(), "/v1/models").raw["Access-Control-Allow-Origin"],
            "https://example.test");
  Client c(server->port());
  Reply pre = c.request(http::verb::options, "/v1/topologies/aks-loadbalancer/trace");
  EXPECT_EQ(pre.status, 204u);
  EXPECT_EQ(pre.raw["Access-Control-Allow-Methods"], "POST");
}

TEST(ServerStatic, AssetsOutsideV1) {
  ServerOptions o;
  o.assets["/"] = StaticAsset{"text/html; charset=utf-8", "<p>hi</p>"};
  auto server = start_server(o);
  Reply r = get(server->port(), "/");
  EXPECT_EQ(r.status, 200u);
  EXPECT_EQ(r.body, "<p>hi</p>");
  EXPECT_EQ(get(server->port(), "/etc/passwd").status, 404u);
  EXPECT_EQ(get(server->port(), "/../../etc/passwd").status, 404u);
}

TEST(ServerStop, StopCancelsAReplayPastTheDeadline) {
  auto server = start_server();
  const std::string capture = capture_bytes();
  Client c(server->port());
  c.send_raw(
      "POST /v1/topologies/aks-udr-firewall/replay HTTP/1.1\r\nHost: x\r\n"
      "Content-Length: " +
      std::to_string(capture.size()) + "\r\n\r\n" + capture.substr(0, 100));
  ASSERT_TRUE(eventually([&] { return server->in_flight_replays() == 1; }));
  server->stop();
  EXPECT_EQ(server->in_flight_replays(), 0u);
}

}  // namespace
}  // namespace egress
