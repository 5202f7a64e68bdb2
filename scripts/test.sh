#!/usr/bin/env bash
# Runs the whole test suite against a Redis at REDIS_URL: a private redis-server is started
# (and stopped) when none answers. `make test` installs the Debian packages first.
set -euo pipefail
cd "$(dirname "$0")/.."

export REDIS_URL="${REDIS_URL:-redis://127.0.0.1:6379/0}"
private_pid=""
if ! .venv/bin/python -c "import redis,sys; redis.Redis.from_url(sys.argv[1], socket_timeout=2).ping()" "$REDIS_URL" 2>/dev/null; then
  port=$(.venv/bin/python -c "import socket; s=socket.socket(); s.bind(('127.0.0.1',0)); print(s.getsockname()[1])")
  dir=$(mktemp -d)
  echo "no Redis at $REDIS_URL; starting a private redis-server on 127.0.0.1:$port"
  redis-server --port "$port" --bind 127.0.0.1 --save "" --appendonly no --dir "$dir" \
    --daemonize yes --pidfile "$dir/redis.pid" --logfile "$dir/redis.log"
  for _ in $(seq 50); do [ -s "$dir/redis.pid" ] && redis-cli -p "$port" ping >/dev/null 2>&1 && break; sleep 0.1; done
  private_pid=$(cat "$dir/redis.pid")
  export REDIS_URL="redis://127.0.0.1:$port/0"
fi
stop_private() { [ -n "$private_pid" ] && kill "$private_pid" 2>/dev/null || true; }
trap stop_private EXIT

.venv/bin/python -m pytest "$@"
