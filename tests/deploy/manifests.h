// Reading deploy/kubernetes's manifests for the tests: the objects of a multi-document YAML
// file, and the parts of a Job's pod the tests compare with egress-sim's command line. Shared by
// manifests_test (the static checks) and job_spec (what deploy_checks.sh runs).
#pragma once

#include <yaml-cpp/yaml.h>

#include <optional>
#include <sstream>
#include <string>
#include <vector>

namespace egress::deploy {

struct VolumeMount {
  std::string name;
  std::string mount_path;
};

// A Job's container as the pod runs it: `command: [sh, -c]` and the script in args[0].
struct JobContainer {
  std::string job;
  std::string name;
  std::string image;
  std::vector<std::string> command;
  std::vector<std::string> args;
  std::vector<std::pair<std::string, std::string>> env;
  std::vector<VolumeMount> mounts;
};

inline std::vector<YAML::Node> load_objects(const std::string& path) {
  std::vector<YAML::Node> objects;
  for (const YAML::Node& doc : YAML::LoadAllFromFile(path)) {
    if (doc.IsMap()) {
      objects.push_back(doc);
    }
  }
  return objects;
}

inline std::optional<YAML::Node> find_object(const std::vector<YAML::Node>& objects,
                                             const std::string& kind, const std::string& name) {
  for (const YAML::Node& o : objects) {
    if (o["kind"].as<std::string>("") == kind &&
        o["metadata"]["name"].as<std::string>("") == name) {
      return o;
    }
  }
  return std::nullopt;
}

inline std::vector<std::string> strings_of(const YAML::Node& seq) {
  std::vector<std::string> out;
  if (seq.IsSequence()) {
    for (const YAML::Node& s : seq) {
      out.push_back(s.as<std::string>());
    }
  }
  return out;
}

inline JobContainer job_container(const YAML::Node& job, const std::string& container) {
  JobContainer c;
  c.job = job["metadata"]["name"].as<std::string>("");
  for (const YAML::Node& n : job["spec"]["template"]["spec"]["containers"]) {
    if (n["name"].as<std::string>("") != container) {
      continue;
    }
    c.name = container;
    c.image = n["image"].as<std::string>("");
    c.command = strings_of(n["command"]);
    c.args = strings_of(n["args"]);
    for (const YAML::Node& e : n["env"]) {
      c.env.emplace_back(e["name"].as<std::string>(""), e["value"].as<std::string>(""));
    }
    for (const YAML::Node& m : n["volumeMounts"]) {
      c.mounts.push_back({m["name"].as<std::string>(""), m["mountPath"].as<std::string>("")});
    }
  }
  return c;
}

inline std::optional<std::string> env_value(const JobContainer& c, const std::string& name) {
  for (const auto& [n, v] : c.env) {
    if (n == name) {
      return v;
    }
  }
  return std::nullopt;
}

// The script `sh -c` runs, split into words. The manifests' scripts are one line of words
// without quotes, which the tests check, so splitting at spaces is how sh splits them too.
inline std::vector<std::string> words(const std::string& script) {
  std::vector<std::string> out;
  std::istringstream in(script);
  for (std::string w; in >> w;) {
    out.push_back(w);
  }
  return out;
}

}  // namespace egress::deploy
