#!/usr/bin/env bash
# Gets this machine ready for `npm test` (npm runs it as `pretest`), or stops with one line
# naming what is missing. As root it installs Debian's packages and starts the local servers the
# tests use; otherwise it only checks. It is quick when all is already there, so it runs every
# time. Nothing it starts listens beyond loopback.
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive
cd "$(dirname "$0")/.."

# The one login the tests use on each server (superuser on a loopback-only test server). Kept in
# step with test/support/database-servers.ts.
TEST_ADMIN_USER=ssm_test_admin
TEST_ADMIN_PASSWORD=ssm-test-admin

fail() {
  echo "npm test: $*" >&2
  exit 1
}
is_root() { [ "$(id -u)" = 0 ]; }

# command -> Debian package that provides it
declare -A PACKAGE_OF=(
  [promtool]=prometheus             # checks our exposition and the alert rules
  [prometheus]=prometheus           # answers the dashboards' queries (test/real/dashboards.test.ts)
  [kubectl]=kubernetes-client       # speaks to the test API server as users' clients do
  [vgs]=lvm2                        # the lvm instrument against real LVM on loop devices
  [pg_ctlcluster]=postgresql-common # userbalance, cockroachlicense, database against PostgreSQL
  [psql]=postgresql-client
  [redis-server]=redis-server       # database against Redis
  [redis-cli]=redis-tools
  [mariadbd]=mariadb-server         # database against MariaDB
  [mariadb-admin]=mariadb-client
)
missing=()
for command in "${!PACKAGE_OF[@]}"; do
  command -v "$command" >/dev/null 2>&1 || missing+=("${PACKAGE_OF[$command]}")
done
# A PostgreSQL server, not only the client tools.
compgen -G '/usr/lib/postgresql/*/bin/postgres' >/dev/null || missing+=(postgresql)
# openssl makes the real cluster's certificates (test/support/kube/real-cluster.ts).
command -v openssl >/dev/null 2>&1 || missing+=(openssl)

if [ ${#missing[@]} -gt 0 ]; then
  mapfile -t missing < <(printf '%s\n' "${missing[@]}" | sort -u)
  is_root || fail "missing Debian packages: ${missing[*]} (install them, or run npm test as root to have them installed)"
  echo "npm test: installing ${missing[*]}" >&2
  # Packages must not start their own daemons (prometheus would take :9090); the servers the
  # tests need are started below, bound to loopback.
  policy=/usr/sbin/policy-rc.d
  had_policy=0
  [ -e "$policy" ] && had_policy=1
  [ "$had_policy" = 1 ] || { printf '#!/bin/sh\nexit 101\n' >"$policy" && chmod +x "$policy"; }
  trap '[ "$had_policy" = 1 ] || rm -f "$policy"' EXIT
  apt-get update -qq >/dev/null || fail "apt-get update failed"
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/tmp/ssm-apt.log 2>&1 ||
    fail "apt-get install ${missing[*]} failed (see /tmp/ssm-apt.log)"
  [ "$had_policy" = 1 ] || rm -f "$policy"
  trap - EXIT
fi

wait_for() { # seconds, then a command that succeeds once the thing is up
  local seconds=$1
  shift
  for _ in $(seq $((seconds * 5))); do
    "$@" >/dev/null 2>&1 && return 0
    sleep 0.2
  done
  return 1
}

# --- PostgreSQL on 127.0.0.1:5432 -------------------------------------------------------------
pg_up() { pg_isready -h 127.0.0.1 -p 5432 -q; }
if ! pg_up; then
  is_root || fail "PostgreSQL is not running on 127.0.0.1:5432 (start it, or run npm test as root)"
  version=$(find /usr/lib/postgresql -mindepth 1 -maxdepth 1 -printf '%f\n' | sort -n | tail -1)
  pg_lsclusters -h | awk '{print $2}' | grep -qx main || pg_createcluster "$version" main >/dev/null
  pg_ctlcluster --skip-systemctl-redirect "$version" main start ||
    fail "PostgreSQL $version did not start (see /var/log/postgresql/)"
  wait_for 30 pg_up || fail "PostgreSQL did not answer on 127.0.0.1:5432 within 30 s"
fi
pg_admin_ok() {
  PGPASSWORD=$TEST_ADMIN_PASSWORD psql -h 127.0.0.1 -p 5432 -U "$TEST_ADMIN_USER" -d postgres -tAqc 'select 1' 2>/dev/null | grep -qx 1
}
if ! pg_admin_ok; then
  is_root || fail "PostgreSQL has no login $TEST_ADMIN_USER (password $TEST_ADMIN_PASSWORD, superuser); create it, or run npm test as root"
  runuser -u postgres -- psql -qX -v ON_ERROR_STOP=1 -d postgres >/dev/null <<SQL || fail "could not create the PostgreSQL login $TEST_ADMIN_USER"
DO \$\$ BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '$TEST_ADMIN_USER') THEN
    CREATE ROLE $TEST_ADMIN_USER LOGIN SUPERUSER PASSWORD '$TEST_ADMIN_PASSWORD';
  ELSE
    ALTER ROLE $TEST_ADMIN_USER LOGIN SUPERUSER PASSWORD '$TEST_ADMIN_PASSWORD';
  END IF;
END \$\$;
SQL
  pg_admin_ok || fail "PostgreSQL refuses $TEST_ADMIN_USER over 127.0.0.1 (check pg_hba.conf allows password logins from 127.0.0.1)"
fi

# --- Redis on 127.0.0.1:6379 ------------------------------------------------------------------
redis_up() { redis-cli -h 127.0.0.1 -p 6379 ping 2>/dev/null | grep -qx PONG; }
if ! redis_up; then
  is_root || fail "Redis is not running on 127.0.0.1:6379 (start it, or run npm test as root)"
  mkdir -p /var/lib/redis /var/log/redis
  redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" --appendonly no \
    --dir /var/lib/redis --logfile /var/log/redis/ssm-test.log >/dev/null ||
    fail "Redis did not start (see /var/log/redis/ssm-test.log)"
  wait_for 15 redis_up || fail "Redis did not answer on 127.0.0.1:6379 within 15 s"
fi

# --- MariaDB on 127.0.0.1:3306 ----------------------------------------------------------------
maria_up() { mariadb-admin --protocol=tcp -h 127.0.0.1 -P 3306 -u "$TEST_ADMIN_USER" "-p$TEST_ADMIN_PASSWORD" ping >/dev/null 2>&1; }
maria_socket_up() { mariadb-admin --protocol=socket -uroot ping >/dev/null 2>&1; }
if ! maria_up; then
  is_root || fail "MariaDB is not running on 127.0.0.1:3306 with login $TEST_ADMIN_USER (password $TEST_ADMIN_PASSWORD); set it up, or run npm test as root"
  if ! maria_socket_up; then
    [ -d /var/lib/mysql/mysql ] || mariadb-install-db --user=mysql --datadir=/var/lib/mysql >/dev/null ||
      fail "mariadb-install-db failed"
    mkdir -p /run/mysqld && chown mysql:mysql /run/mysqld
    start-stop-daemon --start --quiet --background --oknodo --exec /usr/sbin/mariadbd -- \
      --user=mysql --bind-address=127.0.0.1 --port=3306 ||
      fail "MariaDB did not start"
    wait_for 60 maria_socket_up || fail "MariaDB did not answer on its socket within 60 s (see /var/log/mysql/ or journal)"
  fi
  mariadb --protocol=socket -uroot <<SQL || fail "could not create the MariaDB login $TEST_ADMIN_USER"
CREATE USER IF NOT EXISTS '$TEST_ADMIN_USER'@'127.0.0.1' IDENTIFIED BY '$TEST_ADMIN_PASSWORD';
ALTER USER '$TEST_ADMIN_USER'@'127.0.0.1' IDENTIFIED BY '$TEST_ADMIN_PASSWORD';
GRANT ALL PRIVILEGES ON *.* TO '$TEST_ADMIN_USER'@'127.0.0.1' WITH GRANT OPTION;
SQL
  wait_for 15 maria_up || fail "MariaDB refuses $TEST_ADMIN_USER over 127.0.0.1:3306"
fi

# --- Things only root can do -------------------------------------------------------------------
# The lvm tests make loop devices and volume groups.
is_root || fail "the lvm tests make loop devices and need root: run npm test as root"

# --- The real peers: kube-apiserver, etcd, helm, otelcol --------------------------------------
# Built from the pinned Go modules in test/peers into a cache outside the tree (minutes the first
# time, a hash check after). Debian's Go is too old for them; build.sh says so if that is all
# there is.
bash test/peers/build.sh
