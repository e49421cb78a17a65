// deploy/kubernetes against egress-sim's command line, without a cluster: the Jobs' commands,
// their volumes and mount paths, the index variable and N, the image's Containerfile. The
// commands are also run, as local processes, by deploy_checks.sh (fleet-local).
#include "manifests.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <vector>

namespace egress::deploy {
namespace {

namespace fs = std::filesystem;

const fs::path kDeploy = fs::path(EGRESS_REPO_DIR) / "deploy" / "kubernetes";

// issue17-design.md: what pod i of the Indexed Job runs (N substituted) and what the merge runs.
constexpr char kContractShardLine[] =
    "egress-sim replay /config/topology.yaml /captures/*.pcap --shard ${JOB_COMPLETION_INDEX}/N "
    "--shard-out /results/shard-${JOB_COMPLETION_INDEX}.shard --quiet";
constexpr char kContractMergeLine[] =
    "egress-sim merge /results/shard-*.shard --flows /results/flows.jsonl --summary "
    "/results/summary.json --pcap-out /results/egress.pcap --report /results/report.html";

std::string read_text(const fs::path& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

std::string replaced(std::string s, const std::string& from, const std::string& to) {
  for (size_t at = s.find(from); at != std::string::npos; at = s.find(from, at + to.size())) {
    s.replace(at, from.size(), to);
  }
  return s;
}

bool starts_with_path(const std::string& word, const std::string& dir) {
  return word.rfind(dir + "/", 0) == 0;
}

// The script without a leading `exec` (which only makes egress-sim the process sh was).
std::string command_line(const JobContainer& c) {
  std::string script = c.args.empty() ? "" : c.args[0];
  return script.rfind("exec ", 0) == 0 ? script.substr(5) : script;
}

// The value after option NAME in a command's words, or "" when it is not there.
std::string option_value(const std::vector<std::string>& w, const std::string& name) {
  for (size_t i = 0; i + 1 < w.size(); ++i) {
    if (w[i] == name) {
      return w[i + 1];
    }
  }
  return "";
}

// The words before the first option, after the command: the positionals.
std::vector<std::string> positionals(const std::vector<std::string>& w) {
  std::vector<std::string> out;
  for (size_t i = 2; i < w.size() && w[i].rfind("--", 0) != 0; ++i) {
    out.push_back(w[i]);
  }
  return out;
}

std::string mount_path(const JobContainer& c, const std::string& volume) {
  for (const VolumeMount& m : c.mounts) {
    if (m.name == volume) {
      return m.mount_path;
    }
  }
  return "";
}

// A pod volume by name.
YAML::Node volume(const YAML::Node& job, const std::string& name) {
  for (const YAML::Node& v : job["spec"]["template"]["spec"]["volumes"]) {
    if (v["name"].as<std::string>("") == name) {
      return v;
    }
  }
  return YAML::Node();
}

// The volume a path lies on, by the longest mountPath it starts with.
std::string volume_of(const JobContainer& c, const std::string& path) {
  std::string best;
  size_t best_length = 0;
  for (const VolumeMount& m : c.mounts) {
    if ((path == m.mount_path || starts_with_path(path, m.mount_path)) &&
        m.mount_path.size() > best_length) {
      best = m.name;
      best_length = m.mount_path.size();
    }
  }
  return best;
}

std::string claim_of(const YAML::Node& job, const std::string& volume_name) {
  return volume(job, volume_name)["persistentVolumeClaim"]["claimName"].as<std::string>("");
}

struct Manifests {
  std::vector<YAML::Node> storage = load_objects((kDeploy / "storage.yaml").string());
  YAML::Node replay =
      find_object(load_objects((kDeploy / "replay-job.yaml").string()), "Job", "egress-replay")
          .value_or(YAML::Node());
  YAML::Node merge = find_object(load_objects((kDeploy / "merge" / "merge-job.yaml").string()),
                                 "Job", "egress-merge")
                         .value_or(YAML::Node());
  JobContainer replay_container = job_container(replay, "replay");
  JobContainer merge_container = job_container(merge, "merge");
};

const Manifests& manifests() {
  static const Manifests m;
  return m;
}

TEST(ReplayJob, IsIndexedWithOnePodPerShard) {
  const YAML::Node spec = manifests().replay["spec"];
  EXPECT_EQ(spec["completionMode"].as<std::string>(""), "Indexed");
  const int n = spec["completions"].as<int>(0);
  EXPECT_GE(n, 1);
  EXPECT_EQ(spec["parallelism"].as<int>(0), n);
  EXPECT_EQ(env_value(manifests().replay_container, "SHARDS"), std::to_string(n));
  // A lost pod is retried alone; bad input (exit 2) is not retried.
  EXPECT_GE(spec["backoffLimitPerIndex"].as<int>(-1), 1);
  std::vector<std::string> fail_index_codes;
  for (const YAML::Node& rule : spec["podFailurePolicy"]["rules"]) {
    if (rule["action"].as<std::string>("") == "FailIndex" &&
        rule["onExitCodes"]["operator"].as<std::string>("") == "In") {
      fail_index_codes = strings_of(rule["onExitCodes"]["values"]);
    }
  }
  EXPECT_EQ(fail_index_codes, std::vector<std::string>{"2"});
  EXPECT_EQ(spec["template"]["spec"]["restartPolicy"].as<std::string>(""), "Never");
}

TEST(ReplayJob, PodsRunTheContractsShardLine) {
  const JobContainer& c = manifests().replay_container;
  ASSERT_EQ(c.command, (std::vector<std::string>{"sh", "-c"}));
  ASSERT_EQ(c.args.size(), 1u);
  // One line of plain words: sh splits it as words() does.
  EXPECT_EQ(c.args[0].find_first_of("\n\"'\\;&|`"), std::string::npos) << c.args[0];
  const std::string n = manifests().replay["spec"]["completions"].as<std::string>("");
  EXPECT_EQ(replaced(command_line(c), "${SHARDS}", n),
            replaced(kContractShardLine, "/N ", "/" + n + " "));
}

TEST(ReplayJob, ShardIndexAndCountComeFromTheJob) {
  const JobContainer& c = manifests().replay_container;
  const std::vector<std::string> w = words(command_line(c));
  ASSERT_GE(w.size(), 2u);
  EXPECT_EQ(w[0], "egress-sim");
  EXPECT_EQ(w[1], "replay");
  // --shard I/N: I is the pod's completion index, N resolves to the Job's completions.
  const std::string shard = option_value(w, "--shard");
  ASSERT_EQ(shard.rfind("${JOB_COMPLETION_INDEX}/", 0), 0u) << shard;
  std::string count = shard.substr(std::string("${JOB_COMPLETION_INDEX}/").size());
  if (count == "${SHARDS}" || count == "$SHARDS") {
    count = env_value(c, "SHARDS").value_or("(unset)");
  }
  EXPECT_EQ(count, manifests().replay["spec"]["completions"].as<std::string>(""));
  // Each pod writes its own shard file, on the results volume.
  const std::string out = option_value(w, "--shard-out");
  EXPECT_NE(out.find("${JOB_COMPLETION_INDEX}"), std::string::npos) << out;
  EXPECT_EQ(volume_of(c, out), "results") << out;
  // Outputs are merge's to write (the contract refuses them beside --shard).
  for (const char* refused : {"--flows", "--summary", "--pcap-out", "--report"}) {
    EXPECT_EQ(option_value(w, refused), "") << refused;
  }
}

TEST(ReplayJob, TopologyAndCapturesAreOnTheirVolumes) {
  const JobContainer& c = manifests().replay_container;
  const std::vector<std::string> p = positionals(words(command_line(c)));
  ASSERT_EQ(p.size(), 2u);
  // The topology: a file of the ConfigMap's volume, by its item's path.
  const std::string topology_volume = volume_of(c, p[0]);
  const YAML::Node cm = volume(manifests().replay, topology_volume)["configMap"];
  ASSERT_TRUE(cm.IsMap()) << p[0] << " is not on a ConfigMap volume";
  EXPECT_EQ(cm["name"].as<std::string>(""), "egress-topology");
  EXPECT_EQ(mount_path(c, topology_volume) + "/" + cm["items"][0]["path"].as<std::string>(""),
            p[0]);
  EXPECT_EQ(cm["items"][0]["key"].as<std::string>(""), "topology.yaml");
  // The captures: every file of the blob volume's top directory.
  const std::string captures_volume = volume_of(c, p[1]);
  EXPECT_EQ(p[1], mount_path(c, captures_volume) + "/*.pcap");
  EXPECT_EQ(claim_of(manifests().replay, captures_volume), "egress-captures");
}

TEST(MergeJob, RunsTheContractsMergeLine) {
  const JobContainer& c = manifests().merge_container;
  ASSERT_EQ(c.command, (std::vector<std::string>{"sh", "-c"}));
  ASSERT_EQ(c.args.size(), 1u);
  EXPECT_EQ(c.args[0].find_first_of("\n\"'\\;&|`$"), std::string::npos) << c.args[0];
  EXPECT_EQ(command_line(c), kContractMergeLine);
}

TEST(MergeJob, ReadsTheShardsTheReplayWrites) {
  const JobContainer& r = manifests().replay_container;
  const JobContainer& m = manifests().merge_container;
  const std::vector<std::string> w = words(command_line(m));
  ASSERT_GE(w.size(), 3u);
  EXPECT_EQ(w[1], "merge");
  // The same claim, and the shard file's name with its index as the glob's '*'.
  const std::string shard_out = option_value(words(command_line(r)), "--shard-out");
  const std::string glob = positionals(w).at(0);
  const std::string replay_volume = volume_of(r, shard_out);
  const std::string merge_volume = volume_of(m, glob);
  EXPECT_EQ(claim_of(manifests().replay, replay_volume), "egress-results");
  EXPECT_EQ(claim_of(manifests().merge, merge_volume), "egress-results");
  EXPECT_EQ(replaced(shard_out.substr(mount_path(r, replay_volume).size()),
                     "${JOB_COMPLETION_INDEX}", "*"),
            glob.substr(mount_path(m, merge_volume).size()));
  // Its outputs land on the results volume too.
  for (const char* output : {"--flows", "--summary", "--pcap-out", "--report"}) {
    EXPECT_EQ(volume_of(m, option_value(w, output)), merge_volume) << output;
  }
}

TEST(Pods, MountOnlyTheirOwnVolumesAndExistingClaims) {
  std::set<std::string> claims;
  for (const YAML::Node& o : manifests().storage) {
    if (o["kind"].as<std::string>("") == "PersistentVolumeClaim") {
      claims.insert(o["metadata"]["name"].as<std::string>(""));
    }
  }
  for (const YAML::Node* job : {&manifests().replay, &manifests().merge}) {
    const YAML::Node pod = (*job)["spec"]["template"]["spec"];
    for (const YAML::Node& container : pod["containers"]) {
      std::set<std::string> paths;
      for (const YAML::Node& m : container["volumeMounts"]) {
        const std::string name = m["name"].as<std::string>("");
        EXPECT_TRUE(volume(*job, name).IsMap()) << "volumeMount " << name << ": no such volume";
        EXPECT_TRUE(paths.insert(m["mountPath"].as<std::string>("")).second);
      }
    }
    for (const YAML::Node& v : pod["volumes"]) {
      if (v["persistentVolumeClaim"]) {
        EXPECT_EQ(claims.count(v["persistentVolumeClaim"]["claimName"].as<std::string>("")), 1u)
            << v["name"];
      }
    }
  }
}

TEST(Pods, RunAsTheImagesNonRootUserWithResources) {
  std::smatch user;
  const std::string containerfile = read_text(kDeploy / "Containerfile");
  ASSERT_TRUE(std::regex_search(containerfile, user, std::regex("\nUSER ([0-9]+):([0-9]+)\n")));
  for (const YAML::Node* job : {&manifests().replay, &manifests().merge}) {
    const YAML::Node pod = (*job)["spec"]["template"]["spec"];
    EXPECT_TRUE(pod["securityContext"]["runAsNonRoot"].as<bool>(false));
    EXPECT_EQ(pod["securityContext"]["runAsUser"].as<std::string>(""), user[1].str());
    EXPECT_EQ(pod["securityContext"]["runAsGroup"].as<std::string>(""), user[2].str());
    for (const YAML::Node& c : pod["containers"]) {
      for (const char* kind : {"requests", "limits"}) {
        for (const char* resource : {"cpu", "memory"}) {
          EXPECT_TRUE(c["resources"][kind][resource].IsScalar()) << kind << "." << resource;
        }
      }
      EXPECT_FALSE(c["securityContext"]["allowPrivilegeEscalation"].as<bool>(true));
    }
  }
}

TEST(Storage, CapturesComeFromAzureBlobThroughTheCsiDriver) {
  const auto& s = manifests().storage;
  const auto pvc = find_object(s, "PersistentVolumeClaim", "egress-captures");
  ASSERT_TRUE(pvc);
  const auto pv =
      find_object(s, "PersistentVolume", (*pvc)["spec"]["volumeName"].as<std::string>(""));
  ASSERT_TRUE(pv) << "the captures claim names no PersistentVolume of storage.yaml";
  const YAML::Node csi = (*pv)["spec"]["csi"];
  EXPECT_EQ(csi["driver"].as<std::string>(""), "blob.csi.azure.com");
  for (const char* attribute : {"resourceGroup", "storageAccount", "containerName"}) {
    EXPECT_TRUE(csi["volumeAttributes"][attribute].IsScalar()) << attribute;
  }
  EXPECT_TRUE(csi["volumeHandle"].IsScalar());
  EXPECT_EQ((*pv)["spec"]["storageClassName"].as<std::string>(""),
            (*pvc)["spec"]["storageClassName"].as<std::string>("-"));
  EXPECT_EQ(strings_of((*pv)["spec"]["accessModes"]), strings_of((*pvc)["spec"]["accessModes"]));
  // Every pod reads all of them.
  EXPECT_EQ(strings_of((*pvc)["spec"]["accessModes"]), std::vector<std::string>{"ReadOnlyMany"});
}

TEST(Storage, ResultsAreOneVolumeEveryPodWrites) {
  const auto pvc = find_object(manifests().storage, "PersistentVolumeClaim", "egress-results");
  ASSERT_TRUE(pvc);
  EXPECT_EQ(strings_of((*pvc)["spec"]["accessModes"]), std::vector<std::string>{"ReadWriteMany"});
}

TEST(Kustomization, SetsNInOnePlaceAndOneImageForBoth) {
  const YAML::Node k = YAML::LoadFile((kDeploy / "kustomization.yaml").string());
  const YAML::Node merge_k = YAML::LoadFile((kDeploy / "merge" / "kustomization.yaml").string());
  EXPECT_EQ(strings_of(k["resources"]),
            (std::vector<std::string>{"storage.yaml", "replay-job.yaml"}));
  EXPECT_EQ(strings_of(merge_k["resources"]), std::vector<std::string>{"merge-job.yaml"});
  // N: a patch of the replay Job's completions, equal to the manifest's own (so that
  // `kubectl apply -f replay-job.yaml` alone runs the same Job).
  ASSERT_EQ(k["patches"].size(), 1u);
  const YAML::Node patch = k["patches"][0];
  EXPECT_EQ(patch["target"]["kind"].as<std::string>(""), "Job");
  EXPECT_EQ(patch["target"]["name"].as<std::string>(""), "egress-replay");
  const YAML::Node op = YAML::Load(patch["patch"].as<std::string>(""))[0];
  EXPECT_EQ(op["op"].as<std::string>(""), "replace");
  EXPECT_EQ(op["path"].as<std::string>(""), "/spec/completions");
  EXPECT_EQ(op["value"].as<int>(0), manifests().replay["spec"]["completions"].as<int>(-1));
  // ... copied to parallelism and to each pod's SHARDS.
  ASSERT_EQ(k["replacements"].size(), 1u);
  const YAML::Node r = k["replacements"][0];
  EXPECT_EQ(r["source"]["kind"].as<std::string>(""), "Job");
  EXPECT_EQ(r["source"]["name"].as<std::string>(""), "egress-replay");
  EXPECT_EQ(r["source"]["fieldPath"].as<std::string>(""), "spec.completions");
  ASSERT_EQ(r["targets"].size(), 1u);
  EXPECT_EQ(r["targets"][0]["select"]["name"].as<std::string>(""), "egress-replay");
  EXPECT_EQ(strings_of(r["targets"][0]["fieldPaths"]),
            (std::vector<std::string>{
                "spec.parallelism",
                "spec.template.spec.containers.[name=replay].env.[name=SHARDS].value"}));
  // Both Jobs run the image both kustomizations name.
  EXPECT_EQ(YAML::Dump(k["images"]), YAML::Dump(merge_k["images"]));
  EXPECT_EQ(manifests().replay_container.image, k["images"][0]["name"].as<std::string>(""));
  EXPECT_EQ(manifests().merge_container.image, k["images"][0]["name"].as<std::string>(""));
}

TEST(Containerfile, BuildsOnDebian12WithTheProjectsInstallScript) {
  const std::string text = read_text(kDeploy / "Containerfile");
  std::vector<std::string> bases;
  const std::regex from("\nFROM ([^ \n]+)");
  for (auto it = std::sregex_iterator(text.begin(), text.end(), from); it != std::sregex_iterator();
       ++it) {
    bases.push_back((*it)[1].str());
  }
  EXPECT_EQ(bases, (std::vector<std::string>{"debian:12-slim", "debian:12-slim"}));
  // README's first command and the Containerfile install with the same script.
  std::smatch script;
  ASSERT_TRUE(std::regex_search(text, script, std::regex("\nRUN bash ([^ \n]+)\n")));
  EXPECT_TRUE(fs::is_regular_file(fs::path(EGRESS_REPO_DIR) / script[1].str())) << script[1];
  const std::string readme = read_text(fs::path(EGRESS_REPO_DIR) / "README.md");
  EXPECT_NE(readme.find("```sh\nbash " + script[1].str() + " && cmake"), std::string::npos);
  // The last USER is the non-root one the pods run as, after the package is installed.
  const size_t user = text.rfind("\nUSER ");
  ASSERT_NE(user, std::string::npos);
  EXPECT_GT(user, text.rfind("apt-get install"));
  EXPECT_EQ(text.substr(user, 18), "\nUSER 10001:10001\n");
  EXPECT_NE(text.find("\nENTRYPOINT [\"egress-sim\"]\n"), std::string::npos);
}

TEST(Containerfile, ChecksTheBinaryAndTopologiesWhereCMakeInstallsThem) {
  // The Debian package (cpack) puts them under CPACK_PACKAGING_INSTALL_PREFIX.
  const std::string text = read_text(kDeploy / "Containerfile");
  EXPECT_NE(text.find("test -x " EGRESS_INSTALLED_BINARY " "), std::string::npos)
      << EGRESS_INSTALLED_BINARY;
  EXPECT_NE(text.find("test -d " EGRESS_INSTALLED_TOPOLOGIES " "), std::string::npos)
      << EGRESS_INSTALLED_TOPOLOGIES;
  EXPECT_NE(text.find(EGRESS_INSTALLED_BINARY " --version"), std::string::npos);
  EXPECT_NE(text.find("cpack -G DEB"), std::string::npos);
}

// `egress-sim COMMAND --help`'s output.
std::string help(const std::string& command) {
  std::string out;
  FILE* p = popen((std::string(EGRESS_SIM_BINARY) + " " + command + " --help 2>&1").c_str(), "r");
  if (p == nullptr) {
    return out;
  }
  char buffer[4096];
  for (size_t n; (n = fread(buffer, 1, sizeof buffer, p)) > 0;) {
    out.append(buffer, n);
  }
  pclose(p);
  return out;
}

// Every option a command line uses is one `--help` lists.
void expect_options_in_help(const std::vector<std::string>& w, const std::string& help_text) {
  for (const std::string& word : w) {
    if (word.rfind("--", 0) == 0) {
      EXPECT_TRUE(std::regex_search(help_text, std::regex("[ ,]" + word + "[ \n]")))
          << word << " is not in the help:\n"
          << help_text;
    }
  }
}

TEST(Cli, ReplayHasTheOptionsTheShardLineUses) {
  const std::string text = help("replay");
  ASSERT_NE(text.find("Usage: egress-sim replay"), std::string::npos) << text;
  if (text.find("--shard-out") == std::string::npos) {
    GTEST_SKIP() << "this egress-sim's replay has no --shard/--shard-out yet (issue 17 item 2)";
  }
  expect_options_in_help(words(command_line(manifests().replay_container)), text);
}

TEST(Cli, MergeHasTheOptionsTheMergeLineUses) {
  // CLI11 answers `egress-sim merge --help` with the top-level help while merge does not exist.
  const std::string text = help("merge");
  if (text.find("Usage: egress-sim merge") == std::string::npos) {
    GTEST_SKIP() << "this egress-sim has no merge command yet (issue 17 item 2)";
  }
  expect_options_in_help(words(command_line(manifests().merge_container)), text);
}

}  // namespace
}  // namespace egress::deploy
