#!/usr/bin/env bash
# Start what the clinic-service tests need (PostgreSQL server, Chromium) from Debian's
# packages, then print the environment variables to export. Idempotent; run as root on
# Debian bookworm:
#
#     eval "$(.ci/services.sh)"
#
# Everything except the final `export` lines goes to stderr, so `eval` sees only those.
set -euo pipefail

PG_USER=trichometry
PG_PASS=trichometry
PG_DB=trichometry_test
PG_PORT=${TRICHOMETRY_PG_PORT:-5432}

log() { echo "[services] $*" >&2; }

need_install=()
command -v chromium >/dev/null 2>&1 || need_install+=(chromium fonts-dejavu-core)
ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1 || need_install+=(postgresql)
if [ "${#need_install[@]}" -gt 0 ]; then
    if [ "$(id -u)" -ne 0 ]; then
        log "need root to install ${need_install[*]}; re-run as root or install them yourself"
        exit 1
    fi
    log "installing ${need_install[*]} from Debian"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >&2
    apt-get install -y -qq --no-install-recommends "${need_install[@]}" >&2
fi

# PostgreSQL: start (or create) the default cluster without systemd.
PG_VERSION=$(ls /usr/lib/postgresql | sort -V | tail -n1)
if ! pg_lsclusters -h 2>/dev/null | awk '{print $1" "$2}' | grep -q "^${PG_VERSION} main$"; then
    log "creating PostgreSQL ${PG_VERSION} cluster 'main' on port ${PG_PORT}"
    pg_createcluster -p "${PG_PORT}" "${PG_VERSION}" main >&2
fi
if ! pg_lsclusters -h | awk -v v="${PG_VERSION}" '$1==v && $2=="main" {print $4}' | grep -q online; then
    log "starting PostgreSQL ${PG_VERSION}"
    pg_ctlcluster "${PG_VERSION}" main start >&2
fi
PG_PORT=$(pg_lsclusters -h | awk -v v="${PG_VERSION}" '$1==v && $2=="main" {print $3}')
for _ in $(seq 1 30); do
    pg_isready -q -h 127.0.0.1 -p "${PG_PORT}" && break
    sleep 1
done
pg_isready -q -h 127.0.0.1 -p "${PG_PORT}" || { log "PostgreSQL did not come up"; exit 1; }

as_pg() { (cd / && runuser -u postgres -- "$@"); }
if [ "$(as_pg psql -p "${PG_PORT}" -tAc "SELECT 1 FROM pg_roles WHERE rolname='${PG_USER}'")" != "1" ]; then
    log "creating role ${PG_USER}"
    as_pg psql -q -p "${PG_PORT}" -c "CREATE ROLE ${PG_USER} LOGIN PASSWORD '${PG_PASS}' CREATEDB" >&2
fi
if [ "$(as_pg psql -p "${PG_PORT}" -tAc "SELECT 1 FROM pg_database WHERE datname='${PG_DB}'")" != "1" ]; then
    log "creating database ${PG_DB}"
    as_pg createdb -p "${PG_PORT}" -O "${PG_USER}" "${PG_DB}" >&2
fi

CHROMIUM=$(command -v chromium)
log "ready: PostgreSQL ${PG_VERSION} on 127.0.0.1:${PG_PORT}, Chromium at ${CHROMIUM}"
echo "export TRICHOMETRY_TEST_PG_URL=postgresql+psycopg://${PG_USER}:${PG_PASS}@127.0.0.1:${PG_PORT}/${PG_DB}"
echo "export TRICHOMETRY_CHROMIUM=${CHROMIUM}"
