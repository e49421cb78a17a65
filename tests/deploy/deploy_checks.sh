#!/usr/bin/env bash
# deploy/kubernetes run without a cluster:
#
#   deploy_checks.sh SCENARIO EGRESS_SIM JOB_SPEC REPO_DIR SHARED_DIR
#
# fleet-local: the replay Job's and the merge Job's container command lines, exactly as the
#   manifests hold them, run as local processes: N pods of the replay at once, each with
#   JOB_COMPLETION_INDEX=i and the container's env, then the merge; its outputs must be the bytes
#   one `egress-sim replay` of the same topology and captures writes with the merge's options.
#   Volumes are mapped by what backs them, not by name: each PersistentVolumeClaim and ConfigMap
#   is a directory of the test's, each emptyDir a directory per pod, and in a pod's script every
#   word that starts with one of its volumeMounts' mountPath has that mountPath replaced by the
#   directory behind it; nothing else of the line changes (but runs of spaces, which sh ignores).
#   The merge reads the replay's shards because both mount the claim egress-results, wherever
#   they mount it. `egress-sim` is found on PATH, as in the image.
# kustomize-n: N changed in kustomization.yaml alone reaches completions, parallelism and the
#   pods' SHARDS in `kubectl kustomize`'s output (skipped without kubectl).
#
# Exit 0 pass, 1 fail, 77 skipped (what it needs is missing; the message says what).
set -u
scenario=$1
sim=$2
job_spec=$3
repo=$4
shared=$5
deploy=$repo/deploy/kubernetes

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
failed=0
fail() {
  echo "FAIL: $*"
  failed=1
}

# field FILE KEY: the rest of job_spec's lines that start with KEY.
field() {
  sed -n "s/^$2 //p" "$1"
}

# mapped POD_DIR SCRIPT SPEC...: SCRIPT with every word that is, or starts with, a mountPath of
# the SPECs' volumeMounts followed by '/', rewritten to start with the directory behind that
# volume instead (made here; the caller copies configMap items in). One pass over the words, so
# a rewritten word is never rewritten again.
mapped() {
  local pod=$1 script=$2 spec name path kind rest dir word words out=() paths=() dirs=() i
  shift 2
  for spec in "$@"; do
    while read -r name path; do
      if ! [[ $path =~ ^/[A-Za-z0-9/_.-]+$ ]]; then
        echo "unexpected mountPath '$path'" >&2
        return 1
      fi
      read -r kind rest < <(field "$spec" volume | sed -n "s/^$name //p")
      case "$kind" in
        persistentVolumeClaim) dir=$work/claims/$rest ;;
        configMap) dir=$work/configmaps/${rest%% *} ;;
        emptyDir) dir=$pod/$name ;;
        *) echo "volume '$name' ($kind) is not one the test can map" >&2; return 1 ;;
      esac
      mkdir -p "$dir"
      paths+=("$path")
      dirs+=("$dir")
    done < <(field "$spec" mount)
  done
  read -ra words <<<"$script"
  for word in "${words[@]}"; do
    for i in "${!paths[@]}"; do
      if [ "$word" = "${paths[$i]}" ] || [ "${word#"${paths[$i]}"/}" != "$word" ]; then
        word=${dirs[$i]}${word#"${paths[$i]}"}
        break
      fi
    done
    out+=("$word")
  done
  printf '%s\n' "${out[*]}"
}

# run_pod SPEC POD_DIR INDEX SCRIPT: the container's script through sh -c with its env (and
# JOB_COMPLETION_INDEX when INDEX is not empty); stdout, stderr and the exit code in POD_DIR.
run_pod() {
  local spec=$1 pod=$2 index=$3 script=$4 envs=() name value
  while read -r name value; do
    envs+=("$name=$value")
  done < <(field "$spec" env)
  [ -n "$index" ] && envs+=("JOB_COMPLETION_INDEX=$index")
  env -i PATH="$work/bin:/usr/bin:/bin" HOME="$pod" "${envs[@]}" sh -c "$script" \
    >"$pod/stdout" 2>"$pod/stderr"
  echo $? >"$pod/rc"
}

has_merge() {
  "$sim" merge --help 2>&1 | grep -q 'egress-sim merge' &&
    "$sim" replay --help 2>&1 | grep -q -- '--shard-out'
}

case "$scenario" in
  fleet-local)
    mkdir -p "$work/bin" "$work/claims" "$work/configmaps"
    ln -s "$sim" "$work/bin/egress-sim"
    "$job_spec" "$deploy/replay-job.yaml" egress-replay replay >"$work/replay.spec" || exit 1
    "$job_spec" "$deploy/merge/merge-job.yaml" egress-merge merge >"$work/merge.spec" || exit 1
    n=$(field "$work/replay.spec" completions)
    replay_script=$(field "$work/replay.spec" script)
    merge_script=$(field "$work/merge.spec" script)

    # The ConfigMap README's `kubectl create configmap` makes, and the blob container's captures:
    # the node capture of topologies/captures, a real browsing trace (IPv4 and IPv6, DNS and
    # HTTP, flows of sources the topology does not know) and a synthetic one of many flows.
    topology=$repo/topologies/aks-udr-firewall.yaml
    read -r _ _ cm key item < <(field "$work/replay.spec" volume | grep ' configMap ')
    [ "$key" = topology.yaml ] || fail "the topology ConfigMap's key is '$key', not topology.yaml"
    mkdir -p "$work/configmaps/$cm" "$work/claims/egress-captures"
    cp "$topology" "$work/configmaps/$cm/$item"
    captures=$work/claims/egress-captures
    cp "$repo/topologies/captures/aks-udr-firewall-nodes.pcap" "$captures/"
    cp "$shared/captures/wikipedia.pcap" "$captures/" || exit 1
    "$sim" synth "$topology" --flows 400 --seed 17 --quiet --pcap-out "$captures/synth.pcap" \
      >/dev/null || { fail "synth --pcap-out failed"; exit 1; }

    # The single run: the replay's command up to its options, with the merge's options.
    single_script="${replay_script%% --*} --${merge_script#* --}"
    mkdir -p "$work/single"
    script=$(mapped "$work/single" "$single_script" "$work/replay.spec" "$work/merge.spec") ||
      exit 1
    run_pod "$work/merge.spec" "$work/single" "" "$script"
    [ "$(cat "$work/single/rc")" = 0 ] ||
      { fail "the single run: exit $(cat "$work/single/rc")"; cat "$work/single/stderr"; exit 1; }
    results=$work/claims/egress-results
    outputs=$(ls "$results")
    [ -n "$outputs" ] || fail "the single run wrote nothing on the results volume"
    mkdir "$work/single/outputs"
    for f in $outputs; do
      [ -s "$results/$f" ] || fail "the single run's $f is empty"
      mv "$results/$f" "$work/single/outputs/"
    done
    grep -q '^[0-9,]* packets\{0,1\} (' "$work/single/stdout" || fail "the single run: no summary"
    [ $failed = 0 ] || exit 1

    if ! has_merge; then
      echo "SKIP: this egress-sim has no 'replay --shard-out' or 'merge' (issue 17 item 2);"
      echo "      the single run and the volume mapping were checked."
      exit 77
    fi

    # The Job: N pods at once, then the merge.
    for ((i = 0; i < n; i++)); do
      mkdir -p "$work/pod-$i"
      script=$(mapped "$work/pod-$i" "$replay_script" "$work/replay.spec") || exit 1
      run_pod "$work/replay.spec" "$work/pod-$i" "$i" "$script" &
    done
    wait
    for ((i = 0; i < n; i++)); do
      rc=$(cat "$work/pod-$i/rc")
      [ "$rc" = 0 ] || { fail "pod $i: exit $rc"; cat "$work/pod-$i/stderr"; }
      [ "$(wc -l <"$work/pod-$i/stdout")" -le 1 ] || fail "pod $i: more than a line on stdout"
    done
    [ "$(ls "$results" | sort | tr '\n' ' ')" = \
      "$(for ((i = 0; i < n; i++)); do echo "shard-$i.shard"; done | sort | tr '\n' ' ')" ] ||
      fail "the results volume holds $(ls "$results" | tr '\n' ' '), not shard-0..$((n - 1)).shard"
    [ $failed = 0 ] || exit 1

    mkdir -p "$work/merge"
    script=$(mapped "$work/merge" "$merge_script" "$work/merge.spec") || exit 1
    run_pod "$work/merge.spec" "$work/merge" "" "$script"
    rc=$(cat "$work/merge/rc")
    [ "$rc" = 0 ] || { fail "merge: exit $rc"; cat "$work/merge/stderr"; exit 1; }
    for f in $outputs; do
      cmp "$work/single/outputs/$f" "$results/$f" || fail "merge's $f differs from the single run's"
    done
    cmp "$work/single/stdout" "$work/merge/stdout" ||
      fail "merge's stdout differs from the single run's"
    ;;
  kustomize-n)
    command -v kubectl >/dev/null 2>&1 || { echo "SKIP: no kubectl"; exit 77; }
    cp -r "$deploy" "$work/k"
    # The one place N is set (README, "Replaying a fleet").
    sed -E -i 's/^( +value: )4$/\13/' "$work/k/kustomization.yaml"
    [ "$(grep -c '^ *value: 3$' "$work/k/kustomization.yaml")" = 1 ] ||
      { fail "kustomization.yaml has no single 'value: 4' (N) line"; exit 1; }
    kubectl kustomize "$work/k" >"$work/rendered.yaml" || { fail "kubectl kustomize"; exit 1; }
    "$job_spec" "$work/rendered.yaml" egress-replay replay >"$work/replay.spec" || exit 1
    [ "$(field "$work/replay.spec" completions)" = 3 ] || fail "completions is not 3"
    [ "$(field "$work/replay.spec" parallelism)" = 3 ] || fail "parallelism is not 3"
    [ "$(field "$work/replay.spec" env | sed -n 's/^SHARDS //p')" = 3 ] || fail "SHARDS is not 3"
    kubectl kustomize "$work/k/merge" >"$work/merge.yaml" || fail "kubectl kustomize merge"
    image=$(grep -h 'image:' "$work/rendered.yaml" "$work/merge.yaml" | sort -u)
    [ "$(printf '%s\n' "$image" | wc -l)" = 1 ] || fail "the Jobs run different images: $image"
    ;;
  *)
    echo "unknown scenario $scenario"
    exit 1
    ;;
esac
exit $failed
