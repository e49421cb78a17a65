// job_spec FILE JOB CONTAINER: prints what a pod of the Job runs, one fact a line, for
// deploy_checks.sh to run it locally:
//
//   completions N
//   parallelism N
//   script WORDS...          (the `sh -c` script)
//   env NAME VALUE
//   mount VOLUME PATH
//   volume VOLUME configMap NAME KEY PATH...   (each item KEY PATH)
//   volume VOLUME persistentVolumeClaim CLAIM
//   volume VOLUME emptyDir
//
// Exit 2 with a message when the Job or container is missing or the container does not run one
// line through `sh -c`.
#include <iostream>
#include <string>

#include "manifests.h"

namespace {

int fail(const std::string& message) {
  std::cerr << "job_spec: " << message << "\n";
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 4) {
    return fail("usage: job_spec FILE JOB CONTAINER");
  }
  using namespace egress::deploy;
  const std::string file = argv[1];
  std::vector<YAML::Node> objects;
  try {
    objects = load_objects(file);
  } catch (const YAML::Exception& e) {
    return fail(file + ": " + e.what());
  }
  const auto job = find_object(objects, "Job", argv[2]);
  if (!job) {
    return fail(file + ": no Job " + argv[2]);
  }
  const JobContainer c = job_container(*job, argv[3]);
  if (c.name.empty()) {
    return fail(file + ": Job " + argv[2] + " has no container " + argv[3]);
  }
  if (c.command != std::vector<std::string>{"sh", "-c"} || c.args.size() != 1) {
    return fail(file + ": container " + c.name + " does not run one script through sh -c");
  }
  if (c.args[0].find('\n') != std::string::npos) {
    return fail(file + ": container " + c.name + "'s script is more than one line");
  }
  const YAML::Node spec = (*job)["spec"];
  if (spec["completions"]) {
    std::cout << "completions " << spec["completions"].as<std::string>() << "\n";
  }
  if (spec["parallelism"]) {
    std::cout << "parallelism " << spec["parallelism"].as<std::string>() << "\n";
  }
  std::cout << "script " << c.args[0] << "\n";
  for (const auto& [name, value] : c.env) {
    std::cout << "env " << name << " " << value << "\n";
  }
  for (const VolumeMount& m : c.mounts) {
    std::cout << "mount " << m.name << " " << m.mount_path << "\n";
  }
  for (const YAML::Node& v : spec["template"]["spec"]["volumes"]) {
    std::cout << "volume " << v["name"].as<std::string>("");
    if (v["configMap"]) {
      std::cout << " configMap " << v["configMap"]["name"].as<std::string>("");
      for (const YAML::Node& item : v["configMap"]["items"]) {
        std::cout << " " << item["key"].as<std::string>("") << " "
                  << item["path"].as<std::string>("");
      }
    } else if (v["persistentVolumeClaim"]) {
      std::cout << " persistentVolumeClaim "
                << v["persistentVolumeClaim"]["claimName"].as<std::string>("");
    } else if (v["emptyDir"]) {
      std::cout << " emptyDir";
    } else {
      std::cout << " other";
    }
    std::cout << "\n";
  }
  return 0;
}
