#!/usr/bin/env bash
# Makes sure the PostgreSQL and Redis servers the tests use are answering on loopback.
# The machines that run the tests start both before any session; this only restarts one
# that has stopped, with the same command the machine uses, and touches nothing else.
set -u

pg_ready() { pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null; }
redis_ready() { [ "$(redis-cli -h 127.0.0.1 -p 6379 ping 2>/dev/null)" = "PONG" ]; }

if [ -z "${SESSIONSTORE_POSTGRES_URL:-}" ] && ! pg_ready; then
  echo "PostgreSQL is not answering on 127.0.0.1:5432; starting it."
  pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -1)" main start || true
  for _ in $(seq 1 30); do pg_ready && break; sleep 1; done
fi

if [ -z "${SESSIONSTORE_REDIS_URL:-}" ] && ! redis_ready; then
  echo "Redis is not answering on 127.0.0.1:6379; starting it."
  redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" --appendonly no \
    --dir /var/lib/redis --logfile /var/log/redis/ci.log || true
  for _ in $(seq 1 30); do redis_ready && break; sleep 1; done
fi
exit 0
