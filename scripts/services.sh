#!/usr/bin/env bash
# Make sure the PostgreSQL and Redis servers the test suite expects are running.
# Starts them with the machine's own commands when they are down; fails loudly if they cannot be started.
set -uo pipefail

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

if ! port_open 5432; then
  echo "PostgreSQL is down; starting it" >&2
  if [ -d /etc/postgresql ]; then
    pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -n1)" main start || true
  fi
  for _ in $(seq 1 30); do port_open 5432 && break; sleep 1; done
fi
if ! port_open 6379; then
  echo "Redis is down; starting it" >&2
  mkdir -p /var/lib/redis /var/log/redis 2>/dev/null || true
  redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" --appendonly no \
    --dir /var/lib/redis --logfile /var/log/redis/ci.log || true
  for _ in $(seq 1 30); do port_open 6379 && break; sleep 1; done
fi

missing=""
port_open 5432 || missing="$missing PostgreSQL(127.0.0.1:5432)"
port_open 6379 || missing="$missing Redis(127.0.0.1:6379)"
if [ -n "$missing" ]; then
  echo "FATAL: the test suite needs$missing and it could not be started." >&2
  exit 1
fi
echo "services: PostgreSQL and Redis are up" >&2
