#!/usr/bin/env bash
# Patient search latency under concurrent load (issue: foundation figures).
# Usage: benches/search_latency.sh [PATIENTS] [CONNECTIONS] [SECONDS]
# Builds the release binary, loads PATIENTS demo patients into a fresh SQLite database, starts the
# server, signs in, and runs wrk (Debian package `wrk`) against the search page from a second process
# on loopback with name-prefix, date-of-birth and MRN searches. Prints wrk's latency distribution,
# the demo load time, the database size, the idle RSS and the cold start time.
set -euo pipefail
PATIENTS=${1:-100000}
CONNECTIONS=${2:-20}
SECONDS_RUN=${3:-20}
cd "$(dirname "$0")/.."
command -v wrk >/dev/null || { echo "install wrk: apt-get install -y wrk" >&2; exit 2; }
# REGISTRAR_BIN: an already-built binary (e.g. one built with --features postgres).
if [ -z "${REGISTRAR_BIN:-}" ]; then cargo build --release --quiet; fi
BIN=${REGISTRAR_BIN:-$PWD/target/release/registrar}
WORK=$(mktemp -d)
trap 'kill $SERVER 2>/dev/null || true; rm -rf "$WORK"' EXIT
cd "$WORK"
export DATABASE_URL="sqlite://$WORK/bench.db" REGISTRAR_DATA_DIR="$WORK/data" REGISTRAR_LOG=warn REGISTRAR_PORT=18181

echo "== demo load: $PATIENTS patients"
/usr/bin/time -f "demo: %e s wall, max RSS %M KB" "$BIN" demo --patients "$PATIENTS" --seed 1
echo "database size: $(du -h bench.db | cut -f1) ($(stat -c %s bench.db) bytes; WAL $(stat -c %s bench.db-wal 2>/dev/null || echo 0) bytes)"

echo "== cold start"
START=$(date +%s%N)
"$BIN" > server.log 2>&1 &
SERVER=$!
until curl -sf -o /dev/null http://127.0.0.1:18181/health; do sleep 0.01; done
echo "cold start (process start to first answered request): $(( ($(date +%s%N) - START) / 1000000 )) ms"
PASSWORD=$(grep 'password:' server.log | awk '{print $2}')
[ -n "$PASSWORD" ] || { echo "no first-start password in server.log" >&2; cat server.log; exit 1; }
sleep 1
echo "idle RSS: $(ps -o rss= -p $SERVER) KB"

TOKEN=$(curl -s -c jar http://127.0.0.1:18181/login | grep -o 'name="csrf_token" value="[^"]*"' | sed 's/.*value="//;s/"$//')
curl -s -b jar -c jar -o /dev/null --data-urlencode "csrf_token=$TOKEN" --data-urlencode "email=admin@registrar.local" \
  --data-urlencode "password=$PASSWORD" --data-urlencode "next=/" http://127.0.0.1:18181/login
COOKIE=$(awk '$6 == "registrar_session" {print $7}' jar)
[ -n "$COOKIE" ] || { echo "sign-in failed" >&2; exit 1; }

cat > search.lua <<'LUA'
-- Searches the way registrars do: name prefixes (last, or last + first), a date of birth, an MRN.
local prefixes = {"smi", "john", "will", "brow", "jon", "garc", "mill", "dav", "rodr", "mart",
                  "hern", "lop", "gonz", "wil", "and", "tho", "tay", "moo", "jack", "mar",
                  "lee", "per", "whi", "harr", "san", "cla", "ram", "lew", "rob", "wal"}
local firsts = {"", "", "", "j", "m", "a", "s", "k", "d", "e"}
local i = 0
request = function()
  i = i + 1
  local kind = i % 10
  local path
  if kind == 0 then
    path = "/patients?dob=19" .. (40 + i % 50) .. "-0" .. (1 + i % 9) .. "-1" .. (i % 10)
  elseif kind == 1 then
    path = "/patients?mrn=MR" .. string.format("%08d", 1 + (i * 7919) % 100000)
  else
    local f = firsts[(i % #firsts) + 1]
    local q = prefixes[(i % #prefixes) + 1]
    if f ~= "" then q = q .. "%2C+" .. f end
    path = "/patients?name=" .. q
  end
  return wrk.format("GET", path)
end
LUA
echo "== wrk: $CONNECTIONS connections, ${SECONDS_RUN}s"
if [ -n "${SINGLE:-}" ]; then wrk -t1 -c1 -d5s --latency -H "Cookie: registrar_session=$COOKIE" -s search.lua http://127.0.0.1:18181 | grep -A5 "Latency Distribution"; fi
wrk -t2 -c"$CONNECTIONS" -d"${SECONDS_RUN}s" --latency -H "Cookie: registrar_session=$COOKIE" -s search.lua http://127.0.0.1:18181
echo "RSS after load: $(ps -o rss= -p $SERVER) KB"
