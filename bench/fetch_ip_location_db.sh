#!/bin/sh
# Fetches the @ip-location-db/asn npm package (RouteViews-derived start,end ranges; see its
# licence files) into DIR, by default ~/.cache/egress-sim/ip-location-db (outside the
# repository, so nothing fetched is committed), and prints the paths of its two CSV files, the
# arguments for bench/run_lpm_suite.sh.
set -eu

dir=${1:-${XDG_CACHE_HOME:-$HOME/.cache}/egress-sim/ip-location-db}
if ! command -v npm >/dev/null 2>&1; then
  echo "fetch_ip_location_db.sh: npm not found (Debian: apt-get install npm)" >&2
  exit 1
fi
mkdir -p "$dir"
cd "$dir"
tarball=$(npm pack @ip-location-db/asn --silent | tail -n 1)
if [ ! -f "$tarball" ]; then
  echo "fetch_ip_location_db.sh: npm pack did not produce a tarball" >&2
  exit 1
fi
tar -xzf "$tarball" package/asn-ipv4.csv package/asn-ipv6.csv package/README.md \
  package/package.json
rm -f "$tarball"
echo "$(pwd)/package/asn-ipv4.csv"
echo "$(pwd)/package/asn-ipv6.csv"
