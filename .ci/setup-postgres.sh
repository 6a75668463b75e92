#!/usr/bin/env bash
# Makes the machine's PostgreSQL 15 ready for the tests: extensions the toolkit uses (hypopg,
# pg_partman), pg_stat_statements preloaded, and the server running. Idempotent.
set -euo pipefail
need_install=()
for pkg in postgresql-15-hypopg postgresql-15-partman fiu-utils pgbouncer prometheus chromium pgbackrest; do
  dpkg -s "$pkg" >/dev/null 2>&1 || need_install+=("$pkg")
done
if [ ${#need_install[@]} -gt 0 ]; then
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need_install[@]}" >/dev/null
fi
cluster_version=$(ls /etc/postgresql | sort -n | tail -1)
conf_dir="/etc/postgresql/${cluster_version}/main/conf.d"
mkdir -p "$conf_dir"
want="shared_preload_libraries = 'pg_stat_statements'
pg_stat_statements.track = all
max_connections = 300"
if [ ! -f "$conf_dir/shannon-data.conf" ] || [ "$(cat "$conf_dir/shannon-data.conf")" != "$want" ]; then
  printf '%s\n' "$want" > "$conf_dir/shannon-data.conf"
  pg_ctlcluster --skip-systemctl-redirect "$cluster_version" main restart || true
fi
if ! pg_isready -h 127.0.0.1 -p 5432 -q; then
  pg_ctlcluster --skip-systemctl-redirect "$cluster_version" main start
fi
for _ in $(seq 1 30); do pg_isready -h 127.0.0.1 -p 5432 -q && break; sleep 1; done
preload=$(psql -h 127.0.0.1 -U postgres -tAc "show shared_preload_libraries")
case "$preload" in *pg_stat_statements*) ;; *) echo "pg_stat_statements is not preloaded ($preload)" >&2; exit 1 ;; esac
if ! redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1; then
  mkdir -p /var/lib/redis /var/log/redis
  redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" --appendonly no \
    --dir /var/lib/redis --logfile /var/log/redis/ci.log
  for _ in $(seq 1 20); do redis-cli ping >/dev/null 2>&1 && break; sleep 0.5; done
fi
