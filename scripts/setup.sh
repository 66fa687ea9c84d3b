#!/usr/bin/env bash
# One command per job on a fresh Debian/Ubuntu machine: installs what the job needs, then runs it.
#
#   bash scripts/setup.sh demo [--seconds N]   # the end-to-end demo (clip -> ONNX -> MQTT -> case)
#   bash scripts/setup.sh test [pytest args]   # lint, type checks and the full test suite
#
# Installs Debian packages with apt (as root, or through sudo), creates .venv and installs the
# project into it, starts Mosquitto and PostgreSQL for the tests when they are not running.
# Environment: GRIDWATCH_MODELS_DIR, GRIDWATCH_SAMPLES_DIR (see README), PYTHON (default python3:
# the interpreter .venv is made with; it must be Python 3.11 or newer).
set -euo pipefail
cd "$(dirname "$0")/.."

job="${1:-}"
shift || true
case "$job" in
  demo|test) ;;
  *) echo "usage: bash scripts/setup.sh demo|test [args...]" >&2; exit 64 ;;
esac

python="${PYTHON:-python3}"
REQUIRED_PYTHON="3.11"

python_help() {
  cat >&2 <<HELP
  gridwatch needs Python ${REQUIRED_PYTHON} or newer. Install one, then run again naming it with PYTHON=:
    Debian 12 (has 3.11):  sudo apt-get install python3 python3-venv
    Ubuntu 22.04 (3.10):   sudo add-apt-repository ppa:deadsnakes/ppa
                           sudo apt-get install python3.11 python3.11-venv
                           PYTHON=python3.11 bash scripts/setup.sh $job
    with uv, anywhere:     uv python install ${REQUIRED_PYTHON}
                           PYTHON="\$(uv python find ${REQUIRED_PYTHON})" bash scripts/setup.sh $job
HELP
}

# Before anything is installed: every later step (the venv, the package) needs this Python.
if ! command -v "$python" >/dev/null 2>&1; then
  echo "setup: no Python interpreter '$python' found (PYTHON=${PYTHON:-unset})." >&2
  python_help
  exit 69
fi
if ! "$python" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
  found="$("$python" -c 'import sys; print("%d.%d" % sys.version_info[:2])' 2>/dev/null || echo "?")"
  echo "setup: '$python' is Python $found; gridwatch needs Python ${REQUIRED_PYTHON} or newer." >&2
  python_help
  exit 69
fi
if [ -x .venv/bin/python ] \
  && ! .venv/bin/python -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
  echo "setup: .venv was made with a Python older than ${REQUIRED_PYTHON}; remove it" \
    "(rm -rf .venv) and run again." >&2
  exit 69
fi
python_version="$("$python" -c 'import sys; print("%d.%d" % sys.version_info[:2])')"

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

apt_install() {
  local missing=()
  for package in "$@"; do
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" \
      || missing+=("$package")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  echo "setup: installing Debian packages: ${missing[*]}"
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
    "${missing[@]}" >/dev/null
}

port_open() {  # host port
  "$python" - "$1" "$2" <<'PY'
import socket, sys
try:
    socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=1).close()
except OSError:
    sys.exit(1)
PY
}

wait_port() {  # host port seconds
  for _ in $(seq 1 $(( $3 * 10 ))); do port_open "$1" "$2" && return 0; sleep 0.1; done
  return 1
}

venv_support() {  # Debian's package with the venv module of "$python", when it lacks one
  "$python" -c 'import ensurepip, venv' 2>/dev/null || apt_install "python${python_version}-venv"
}

venv() {  # extras
  if [ ! -x .venv/bin/python ]; then
    venv_support
    "$python" -m venv .venv
  fi
  .venv/bin/python -m pip install -q --upgrade pip
  .venv/bin/python -m pip install -q -e ".[$1]"
}

console_assets() {
  # The console's browser libraries (htmx, Leaflet, ECharts), pinned by package-lock.json and
  # served by central itself: nothing is loaded from the internet at run time.
  command -v npm >/dev/null 2>&1 || apt_install nodejs npm
  echo "setup: console browser libraries (npm ci)"
  npm ci --prefix central/gridwatch_central/web/vendor --no-audit --no-fund --loglevel=error
}

start_mosquitto() {
  port_open 127.0.0.1 1883 && return 0
  echo "setup: starting mosquitto on 127.0.0.1:1883"
  as_root mosquitto -d -c /etc/mosquitto/mosquitto.conf
  wait_port 127.0.0.1 1883 10 || { echo "setup: mosquitto did not start" >&2; exit 1; }
}

start_postgres() {
  if ! port_open 127.0.0.1 5432; then
    apt_install postgresql
    echo "setup: starting PostgreSQL on 127.0.0.1:5432"
    local version
    version="$(ls /etc/postgresql | sort -V | tail -n 1)"
    as_root pg_ctlcluster --skip-systemctl-redirect "$version" main start
    wait_port 127.0.0.1 5432 30 || { echo "setup: PostgreSQL did not start" >&2; exit 1; }
    # A fresh cluster allows password logins over TCP only: give the test role a password.
    as_root runuser -u postgres -- psql -q -c "ALTER USER postgres PASSWORD 'postgres'"
  fi
  export GRIDWATCH_TEST_POSTGRES_URL="${GRIDWATCH_TEST_POSTGRES_URL:-postgresql+psycopg://postgres:postgres@127.0.0.1:5432/postgres}"
}

if [ "$job" = demo ]; then
  apt_install mosquitto
  venv "edge,central"
  console_assets
  exec .venv/bin/gridwatch demo "$@"
fi

# Tests: the real broker, the real databases (the fault tests start private PostgreSQL servers
# with initdb/pg_ctl) and a real GStreamer RTSP server; openssl makes the broker TLS tests'
# certificate authority.
apt_install mosquitto postgresql openssl python3-gi gstreamer1.0-rtsp \
  gir1.2-gst-rtsp-server-1.0 gstreamer1.0-plugins-base gstreamer1.0-plugins-good \
  gstreamer1.0-plugins-bad
# The console's browser tests: Debian's Chromium (driven by the playwright package, whose own
# browser download is never used) and a CJK font so that screenshots show the Chinese labels.
apt_install chromium fonts-wqy-microhei
venv "edge,central,dev"
console_assets
start_mosquitto
start_postgres

echo "setup: ruff"
.venv/bin/ruff check .
.venv/bin/ruff format --check .
echo "setup: mypy --strict"
.venv/bin/mypy
echo "setup: contract schemas"
.venv/bin/python -m gridwatch_contract.schema
echo "setup: pytest"
exec .venv/bin/python -m pytest "$@"
