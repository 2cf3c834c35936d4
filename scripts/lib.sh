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
    "$PY" -m pip install -q --disable-pip-version-check -r "$BALAI_ROOT/$reqs" \
      || die "pip install -r $reqs failed"
    echo "$sum $reqs" > "$stamp"
  fi
}

# The data directory (db, media, static, secret key), outside the code tree when provisioned.
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
  export DJANGO_SETTINGS_MODULE="${DJANGO_SETTINGS_MODULE:-hub.settings.main}"
}

manage() { "$PY" "$BALAI_ROOT/manage.py" "$@"; }
