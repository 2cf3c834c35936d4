# Shared set-up for scripts/run, scripts/test and scripts/bench. Sourced, not run.
# Everything a fresh Debian machine lacks is installed here (never by hand).

BALAI_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
VENV="$BALAI_ROOT/.venv"
PY="$VENV/bin/python"

say() { printf '\033[1m[balai]\033[0m %s\n' "$*" >&2; }
die() { printf '\033[1;31m[balai] error:\033[0m %s\n' "$*" >&2; exit 1; }

as_root() {
  if [ "$(id -u)" = 0 ]; then "$@"
  elif command -v sudo >/dev/null 2>&1; then sudo "$@"
  else die "needs root to run: $* (run as root or install sudo)"; fi
}

apt_updated=""
apt_install() {
  command -v apt-get >/dev/null 2>&1 || die "apt-get not found: install $* by hand on this system"
  if [ -z "$apt_updated" ]; then
    say "apt-get update"
    as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq || die "apt-get update failed"
    apt_updated=1
  fi
  say "installing Debian packages: $*"
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" \
    >/dev/null || die "apt-get install $* failed"
}

# The virtualenv, with the pinned requirements; reinstalled only when a requirements file changes.
setup_python() {
  local reqs="$1"
  command -v python3 >/dev/null 2>&1 || apt_install python3
  python3 -c 'import sys; sys.exit(sys.version_info < (3, 11))' \
    || die "Python 3.11 or newer is needed ($(python3 --version 2>&1))"
  if [ ! -x "$PY" ]; then
    if ! python3 -c 'import ensurepip, venv' >/dev/null 2>&1; then
      apt_install python3-venv
    fi
    say "creating the virtualenv in .venv"
    python3 -m venv "$VENV" || die "could not create the virtualenv"
  fi
  # The stamp names the requirements' hash and the file installed; dev includes runtime.
  local stamp="$VENV/.requirements.sha256" sum have
  sum=$(cat "$BALAI_ROOT/requirements.txt" "$BALAI_ROOT/requirements-dev.txt" | sha256sum | cut -c1-64)
  have=$(cat "$stamp" 2>/dev/null || true)
  if [ "$have" != "$sum $reqs" ] && [ "$have" != "$sum requirements-dev.txt" ]; then
    say "installing Python packages from $reqs"
    "$PY" -m pip install -q --no-compile --disable-pip-version-check -r "$BALAI_ROOT/$reqs" \
      || die "pip install -r $reqs failed"
    # pip byte-compiles on one core, package after package (about 40 % of its time); compileall
    # does the same files on every core. Its status is ignored as pip ignores a file that does
    # not compile (a package's Python 2 example, say): Python then just reads the source. Not
    # in the background: the processes started next (templates, checks, pytest's workers) then
    # compiled the same modules side by side (a fresh clone's set-up 79 s -> 97 s).
    "$PY" -m compileall -q -j 0 "$("$PY" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')" \
      >/dev/null 2>&1 || true
    echo "$sum $reqs" > "$stamp"
  fi
}

# The data directory (db, media, static, secret and field keys), outside the code tree when provisioned.
prepare_data_dir() {
  export HUB_DATA_DIR="${HUB_DATA_DIR:-$BALAI_ROOT/data}"
  mkdir -p "$HUB_DATA_DIR"
  HUB_DATA_DIR=$(cd "$HUB_DATA_DIR" && pwd)
  export HUB_DATA_DIR
  local key="$HUB_DATA_DIR/secret_key"
  if [ -z "${HUB_SECRET_KEY:-}" ] && [ -z "${HUB_SECRET_KEY_FILE:-}" ]; then
    if [ ! -s "$key" ]; then
      (umask 077 && python3 -c 'import secrets; print(secrets.token_urlsafe(50))' > "$key")
      say "made a new secret key in $key"
    fi
    export HUB_SECRET_KEY_FILE="$key"
  fi
  # The field-encryption key (NIK, KK), made once like the secret key; losing it loses that data.
  if [ -z "${HUB_FIELD_KEY_FILE:-}" ]; then
    export HUB_FIELD_KEY_FILE="$HUB_DATA_DIR/field_key"
    if [ ! -s "$HUB_FIELD_KEY_FILE" ]; then
      (umask 077 && python3 -c 'import base64, os; print(base64.urlsafe_b64encode(os.urandom(32)).decode())' > "$HUB_FIELD_KEY_FILE")
      say "made a new field-encryption key in $HUB_FIELD_KEY_FILE"
    fi
  fi
  export DJANGO_SETTINGS_MODULE="${DJANGO_SETTINGS_MODULE:-hub.settings.main}"
}

# PostgreSQL for the upstream role (scripts/test, scripts/bench sync): nothing to do when
# HUB_TEST_PG_HOST is set; otherwise install, create and start the local Debian cluster as
# needed, make the balai_test role and export HUB_TEST_PG_HOST/PORT/USER/PASSWORD.
setup_test_postgres() {
  [ -n "${HUB_TEST_PG_HOST:-}" ] && return 0
  local cluster ver pg_ver pg_name pg_port pg_status
  if ! command -v pg_lsclusters >/dev/null 2>&1; then
    apt_install postgresql
  fi
  cluster=$(pg_lsclusters --no-header 2>/dev/null | head -n1)
  if [ -z "$cluster" ]; then
    ver=$(ls /usr/lib/postgresql | sort -V | tail -n1)
    say "creating PostgreSQL $ver cluster"
    as_root pg_createcluster "$ver" main >/dev/null
    cluster=$(pg_lsclusters --no-header | head -n1)
  fi
  read -r pg_ver pg_name pg_port pg_status _ <<<"$cluster"
  if [ "$pg_status" != online ]; then
    say "starting PostgreSQL $pg_ver/$pg_name"
    as_root pg_ctlcluster "$pg_ver" "$pg_name" start || die "PostgreSQL $pg_ver/$pg_name did not start"
  fi
  export HUB_TEST_PG_HOST=127.0.0.1 HUB_TEST_PG_PORT="$pg_port"
  export HUB_TEST_PG_USER=balai_test HUB_TEST_PG_PASSWORD=balai_test
  as_root runuser -u postgres -- psql -q -p "$pg_port" -v ON_ERROR_STOP=1 >/dev/null <<'SQL' \
    || die "could not create the PostgreSQL test role"
DO $$ BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'balai_test') THEN
    CREATE ROLE balai_test LOGIN CREATEDB PASSWORD 'balai_test';
  END IF;
END $$;
SQL
}

manage() { "$PY" "$BALAI_ROOT/manage.py" "$@"; }

# What collected static files are made from: the apps' static files, the settings naming their
# storage, and the installed packages (their versions, from the dist-info names). Printed as one
# SHA-256; tests/harness/templates.py keys its migrated data dirs on it too.
static_sources_hash() {
  local dirs=() d
  for d in hub marketplace egov elearning; do [ -d "$BALAI_ROOT/$d" ] && dirs+=("$d"); done
  {
    (cd "$BALAI_ROOT" && find "${dirs[@]}" -type f -path '*/static/*' -print0 | sort -z \
      | xargs -0 sha256sum && sha256sum hub/settings/base.py)
    ls "$VENV"/lib/python3*/site-packages
  } | sha256sum | cut -c1-64
}

# collectstatic into $HUB_DATA_DIR/static unless it was collected from the same sources already:
# compressing every file again takes 30-45 s on 2 cores, at every start of scripts/run.
collect_static() {
  # (the stamp beside the static dir, not in it: whitenoise serves whatever is in there)
  local stamp="$HUB_DATA_DIR/cache/static-sources.sha256" sum
  sum=$(static_sources_hash)
  if [ -f "$HUB_DATA_DIR/static/staticfiles.json" ] \
    && [ "$(cat "$stamp" 2>/dev/null || true)" = "$sum" ]; then
    return 0
  fi
  manage collectstatic --noinput -v0
  mkdir -p "$HUB_DATA_DIR/cache"
  echo "$sum" > "$stamp"
}
