#!/usr/bin/env bash
# What `cmake --install`, cpack and `git archive` give: the installed binary, man page and bash
# completion, the Debian package, and the commit in --version.
#
#   install_checks.sh SCENARIO EGRESS_SIM BUILD_DIR REPO_DIR
#
# Exit 0 pass, 1 fail, 77 skipped (a tool it needs is missing, or REPO_DIR is not a git
# checkout).
set -u
scenario=$1
sim=$2
build=$3
repo=$4

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
failed=0
fail() {
  echo "FAIL: $*"
  failed=1
}
skip() {
  echo "SKIP: $*"
  exit 77
}

# The commands `egress-sim --help` lists, and the option names `egress-sim CMD --help` shows
# (CLI11's layout: an option line starts with two spaces and a dash), read independently of
# cmake/help_text.cmake.
commands() {
  "$sim" --help | sed -n '/^Subcommands:$/,/^$/s/^  \([a-z][a-z0-9-]*\) .*/\1/p'
}
options_of() {
  "$sim" "$1" --help | sed -n 's/^  \(-[^ ]*\).*/\1/p' | tr ',' '\n'
}

# Whether the build made a man page: it skips it when configured without help2man.
has_man() {
  ! grep -q '^HELP2MAN:FILEPATH=.*NOTFOUND' "$build/CMakeCache.txt"
}
in_git() {
  command -v git >/dev/null && git -C "$repo" rev-parse --git-dir >/dev/null 2>&1
}

case "$scenario" in
  prefix)
    # The installed binary runs on the installed topologies and names its commit.
    cmake --install "$build" --prefix "$work/p" >"$work/log" 2>&1 || {
      cat "$work/log"
      fail "cmake --install failed"
    }
    bin=$work/p/bin/egress-sim
    topo=$work/p/share/egress-sim/topologies
    [ -x "$bin" ] || fail "no bin/egress-sim"
    out=$("$bin" validate "$topo/aks-loadbalancer.yaml" 2>&1)
    rc=$?
    [ $rc = 0 ] || fail "validate exit $rc: $out"
    [[ $out == "$topo/aks-loadbalancer.yaml: ok ("* ]] || fail "validate said: $out"
    for f in README.md mixes/default.yaml migrations/aks-outbound-types.md \
      captures/aks-udr-firewall-nodes.pcap; do
      [ -f "$topo/$f" ] || fail "no share/egress-sim/topologies/$f"
    done
    [ -f "$work/p/share/doc/egress-sim/README.md" ] || fail "no share/doc/egress-sim/README.md"
    [ -f "$work/p/share/bash-completion/completions/egress-sim" ] || fail "no completion"
    if has_man; then
      [ -f "$work/p/share/man/man1/egress-sim.1" ] || fail "no man1/egress-sim.1"
    fi
    leftovers=$(find "$work/p" -name '*_test' -o -name '*_bench' -o -name 'fuzz_*' \
      -o -name '*.h2m' -o -name '*.cmake')
    [ -z "$leftovers" ] || fail "installed: $leftovers"
    version=$("$bin" --version)
    [[ $version =~ ^egress-sim\ [0-9]+\.[0-9]+\.[0-9]+\ \(commit\ [0-9a-f]{7,}(-dirty)?,\ [0-9]{4}-[0-9]{2}-[0-9]{2}\)$ ]] ||
      fail "--version: '$version'"
    # The commit HEAD is (whether the tree was dirty when built is the build's to say).
    if in_git; then
      head=$(git -C "$repo" log -1 --format=%h)
      [[ $version == *" (commit $head"[,-]* ]] ||
        fail "--version: '$version', HEAD is $head (rebuild after a commit)"
    fi
    ;;
  man)
    # The installed man page renders without roff warnings and has every command's options,
    # the exit status and the examples.
    has_man || skip "configured without help2man (tools/deps.sh installs it)"
    cmake --install "$build" --prefix "$work/p" >/dev/null 2>&1 || fail "cmake --install failed"
    page=$work/p/share/man/man1/egress-sim.1
    [ -f "$page" ] || { fail "no share/man/man1/egress-sim.1"; exit 1; }
    if command -v man >/dev/null; then
      LC_ALL=C.UTF-8 MANWIDTH=200 man -l "$page" >"$work/text" 2>"$work/err" || fail "man -l"
    elif command -v groff >/dev/null; then
      groff -man -Tutf8 -P-cbou "$page" >"$work/text" 2>"$work/err" || fail "groff"
    else
      skip "neither man nor groff"
    fi
    [ -s "$work/err" ] && fail "rendering said: $(cat "$work/err")"
    if command -v groff >/dev/null; then
      warnings=$(groff -man -ww -z "$page" 2>&1)
      [ -z "$warnings" ] || fail "groff warnings: $warnings"
    fi
    for section in NAME SYNOPSIS DESCRIPTION OPTIONS COMMANDS "EXIT STATUS" EXAMPLES "SEE ALSO"; do
      grep -q "^$section\$" "$work/text" || fail "no section $section"
    done
    # Each command's part: from its heading to the next command's.
    for cmd in $(commands); do
      sed -n "/^   $cmd\$/,/^   [a-z]/p" "$work/text" >"$work/part"
      [ -s "$work/part" ] || fail "no subsection for $cmd"
      grep -q "egress-sim $cmd \[OPTIONS\]" "$work/part" || fail "$cmd: no usage line"
      for opt in $(options_of "$cmd"); do
        grep -q -- "^       .*$opt\\b" "$work/part" || fail "$cmd: $opt not in its section"
      done
    done
    grep -q "^       2 .*Bad input or usage" "$work/text" || fail "exit status 2 not described"
    ;;
  completion)
    # The installed completion loads into a plain bash and completes commands, each command's
    # options (all of those its --help lists), option values and files by kind.
    cmake --install "$build" --prefix "$work/p" >/dev/null 2>&1 || fail "cmake --install failed"
    script=$work/p/share/bash-completion/completions/egress-sim
    [ -f "$script" ] || { fail "no completion script"; exit 1; }
    mkdir -p "$work/files/dir"
    touch "$work/files/a.yaml" "$work/files/b.yml" "$work/files/c.pcap" "$work/files/d.pcapng" \
      "$work/files/e.txt"
    {
      echo "source '$script' || echo 'source failed'"
      # c WORD...: completes the last word as bash would, printing the candidates sorted.
      cat <<'END'
complete -p egress-sim
c() {
  COMP_WORDS=("$@")
  COMP_CWORD=$(($# - 1))
  _egress_sim
  printf '%s\n' "${COMPREPLY[@]}" | sort | tr '\n' ' '
  echo
}
END
      echo 'c egress-sim rep'
      echo 'c egress-sim replay --qu'
      echo 'c egress-sim --ver'
      echo 'c egress-sim validate ""'
      echo 'c egress-sim replay a.yaml ""'
      echo 'c egress-sim replay a.yaml c.pcap ""'
      echo 'c egress-sim trace a.yaml --proto ""'
      echo 'c egress-sim trace a.yaml --proto = u'
      echo 'c egress-sim replay a.yaml --pcap-out ""'
      echo 'c egress-sim synth a.yaml --mix ""'
      echo 'c egress-sim replay a.yaml --flows ""'
      echo 'c egress-sim trace a.yaml --src ""'
      for cmd in $(commands); do
        echo "c egress-sim $cmd -"
      done
    } >"$work/run.sh"
    (cd "$work/files" && bash --norc --noprofile "$work/run.sh") >"$work/got" 2>"$work/err"
    [ -s "$work/err" ] && fail "bash said: $(cat "$work/err")"
    expect=(
      "complete -F _egress_sim egress-sim"
      "replay "
      "--quiet "
      "--version "
      "a.yaml b.yml dir "
      "c.pcap d.pcapng dir "
      "c.pcap d.pcapng dir "
      "icmp tcp udp "
      "udp "
      "c.pcap d.pcapng dir "
      "a.yaml b.yml dir "
      "a.yaml b.yml c.pcap d.pcapng dir e.txt "
      " "
    )
    i=0
    while IFS= read -r line && [ $i -lt ${#expect[@]} ]; do
      [ "$line" = "${expect[$i]}" ] || fail "line $((i + 1)): got '$line', expected '${expect[$i]}'"
      i=$((i + 1))
    done <"$work/got"
    [ $i = ${#expect[@]} ] || fail "only $i lines: $(cat "$work/got")"
    # Every option each command's --help lists is offered after "CMD -".
    tail -n +$((${#expect[@]} + 1)) "$work/got" >"$work/offered"
    n=0
    for cmd in $(commands); do
      n=$((n + 1))
      offered=" $(sed -n "${n}p" "$work/offered")"
      for opt in $(options_of "$cmd"); do
        [[ $offered == *" $opt "* ]] || fail "$cmd: $opt not completed (got:$offered)"
      done
    done
    [ $n -gt 0 ] || fail "no commands in --help"
    ;;
  deb)
    # cpack -G DEB makes egress-sim_*.deb with the files installed under /usr and Depends on the
    # runtime libraries; no tests or benchmarks in it.
    command -v cpack >/dev/null || skip "no cpack"
    command -v dpkg-deb >/dev/null || skip "no dpkg-deb"
    (cd "$build" && cpack -G DEB -B "$work/pkg") >"$work/log" 2>&1 || {
      cat "$work/log"
      fail "cpack failed"
      exit 1
    }
    deb=$(find "$work/pkg" -maxdepth 1 -name 'egress-sim_*.deb' | head -1)
    [ -n "$deb" ] || { fail "no egress-sim_*.deb: $(ls "$work/pkg")"; exit 1; }
    dpkg-deb -I "$deb" >"$work/info" || fail "dpkg-deb -I"
    grep -q "^ Package: egress-sim$" "$work/info" || fail "Package: $(cat "$work/info")"
    grep -q "^ Maintainer: ." "$work/info" || fail "no Maintainer"
    grep -q "^ Description: ." "$work/info" || fail "no Description"
    depends=$(sed -n 's/^ Depends: //p' "$work/info")
    for lib in libpcap0.8 libyaml-cpp0.7; do
      [[ ", $depends," =~ ,\ ${lib}[\ ,] ]] || fail "Depends: '$depends' lacks $lib"
    done
    dpkg-deb -c "$deb" | awk '{print $NF}' >"$work/files"
    if has_man; then
      grep -qxF ./usr/share/man/man1/egress-sim.1 "$work/files" || fail "no man page in the package"
    fi
    for f in ./usr/bin/egress-sim ./usr/share/bash-completion/completions/egress-sim ./usr/share/doc/egress-sim/README.md \
      ./usr/share/egress-sim/topologies/aks-loadbalancer.yaml \
      ./usr/share/egress-sim/topologies/mixes/default.yaml \
      ./usr/share/egress-sim/topologies/migrations/aks-outbound-types.md \
      ./usr/share/egress-sim/topologies/captures/aks-udr-firewall-nodes.pcap; do
      grep -qxF "$f" "$work/files" || fail "$f not in the package"
    done
    others=$(grep -v -e '^\./usr/$' -e '^\./usr/bin/$' -e '^\./usr/bin/egress-sim$' \
      -e '^\./usr/share/' "$work/files")
    [ -z "$others" ] || fail "unexpected files: $others"
    ;;
  git-archive)
    # A tarball from `git archive` has no .git: configuring it finds the commit in
    # cmake/git_archive.txt, which export-subst filled in.
    in_git || skip "$repo is not a git checkout"
    mkdir "$work/src"
    git -C "$repo" archive HEAD | tar -x -C "$work/src" || fail "git archive | tar"
    [ -e "$work/src/.git" ] && fail "the archive has a .git"
    commit="$(git -C "$repo" log -1 --format=%h), $(git -C "$repo" log -1 --format=%cs)"
    cmake -S "$work/src" -B "$work/build" -DEGRESS_BUILD_TESTS=OFF \
      -DEGRESS_BUILD_BENCHMARKS=OFF >"$work/log" 2>&1 || { cat "$work/log"; fail "configure"; }
    grep -qxF -- "-- Version: egress-sim $("$sim" --version | sed 's/^egress-sim \([^ ]*\).*/\1/') (commit $commit)" \
      "$work/log" || fail "configure said: $(grep -- '-- Version' "$work/log"), expected commit $commit"
    header=$work/build/generated/egress_version.h
    if ! grep -qF "\"egress-sim " "$header" || ! grep -qF "(commit $commit)\"" "$header"; then
      fail "egress_version.h: $(cat "$header")"
    fi
    ;;
  version-refresh)
    # cmake/version.cmake, as the build runs it, follows a scratch repository: its commit, -dirty
    # after an edit, the next commit after a commit, and leaves the header alone (no rebuild)
    # when nothing changed.
    command -v git >/dev/null || skip "no git"
    mkdir -p "$work/r/cmake"
    cp "$repo/cmake/git_archive.txt" "$work/r/cmake/"
    echo one >"$work/r/file"
    g() { git -C "$work/r" -c user.name=t -c user.email=t@example.invalid "$@"; }
    { g init -q && g add -A && g commit -qm one; } || fail "git init"
    header=$work/b/egress_version.h
    run() {
      cmake -DEGRESS_SOURCE_DIR="$work/r" -DEGRESS_PROJECT_VERSION=9.8.7 \
        -DEGRESS_VERSION_HEADER="$header" -DGIT_EXECUTABLE="$(command -v git)" \
        -P "$repo/cmake/version.cmake" || fail "cmake -P version.cmake"
      sed -n 's/^#define EGRESS_VERSION_LINE "\(.*\)"$/\1/p' "$header"
    }
    expect() {
      local got
      got=$(run)
      [ "$got" = "egress-sim 9.8.7 (commit $1)" ] || fail "$2: got '$got', expected commit $1"
    }
    mkdir "$work/b"
    expect "$(g log -1 --format=%h), $(g log -1 --format=%cs)" "first commit"
    touch -d '2000-01-01' "$header"
    run >/dev/null
    [ "$(stat -c %Y "$header")" = "$(date -d 2000-01-01 +%s)" ] || fail "unchanged header rewritten"
    echo two >"$work/r/file"
    expect "$(g log -1 --format=%h)-dirty, $(g log -1 --format=%cs)" "edited"
    g commit -qam two
    expect "$(g log -1 --format=%h), $(g log -1 --format=%cs)" "second commit"
    rm -rf "$work/r/.git"
    got=$(run)
    [ "$got" = "egress-sim 9.8.7 (commit unknown)" ] || fail "without .git: '$got'"
    ;;
  *)
    echo "unknown scenario $scenario"
    exit 1
    ;;
esac
exit $failed
