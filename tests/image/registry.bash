# skiff-image tests: real registries for the registry client's tests.
#
#   load helpers; load registry
#   setup() { registry_setup; registry_start; }  teardown() { registry_cleanup; }
#   registry_start [--htpasswd] [--tls] [--token]   # Debian's docker-registry
#   push_image LAYOUT:TAG REPO:TAG [skopeo args]     # into it, with skopeo
#   registry_stop                                   # also done by registry_cleanup
#
# docker-registry listens on a random free 127.0.0.1 port with its storage
# in a temp dir.  --htpasswd: Basic auth (user `skiff`, password
# `$REGISTRY_PASSWORD`); --tls: HTTPS with a CA made here ($REGISTRY_CA,
# and $REGISTRY_CERT_DIR/ca.crt for --cert-dir); --token: Bearer tokens
# from tests/image/token-server.py (anonymous pull, push for `skiff` with
# the password).  Every process is started and ended by its pid.
#
# After registry_start: $REGISTRY (127.0.0.1:PORT), $REGISTRY_DIR, and
# $REGISTRY_DIR/registry.log with the registry's access log.
# fake_registry_start LAYOUT [fake-registry.py faults]: a misbehaving
# registry serving LAYOUT at $FAKE, logging requests to $FAKE_LOG.
# make_test_layout DIR TAG [make-test-image.py options] writes test images.
# registry_setup/registry_cleanup wrap helpers.bash's setup_store and
# teardown_store ($STORE, $WORK, simg).

REGISTRY_TEST_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REGISTRY_USER=skiff
REGISTRY_PASSWORD=s3cret-pw
# Debian's python3 has python3-cryptography (the token server signs with it).
PYTHON=/usr/bin/python3
[ -x "$PYTHON" ] || PYTHON=python3
REGISTRY_PIDS=()
# After helpers.bash's setup_store: credentials only from this test's
# files, never the user's own.
registry_setup() {
  setup_store
  require_registry_tools
  export REGISTRY_AUTH_FILE=$WORK/auth.json HOME=$WORK
}

registry_cleanup() {
  registry_stop
  teardown_store
}

# Skip (not fail) when a Debian package the registry tests need is missing.
require_registry_tools() {
  require_cmd docker-registry skopeo openssl htpasswd "$@"
}

# A TCP port nobody listens on now.
free_port() {
  "$PYTHON" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# Wait until ${3:-127.0.0.1}:$1 accepts connections (process $2 must stay alive).
wait_port() {
  local i
  for i in $(seq 100); do
    if "$PYTHON" -c 'import socket,sys; socket.create_connection((sys.argv[2],int(sys.argv[1])),1)' "$1" "${3:-127.0.0.1}" 2>/dev/null; then
      return 0
    fi
    kill -0 "$2" 2>/dev/null || return 1
    sleep 0.1
  done
  return 1
}

# A CA and a certificate for 127.0.0.1 signed by it, in $1.
make_tls() {
  local d=$1
  openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=skiff-test-ca \
    -keyout "$d/ca.key" -out "$d/ca.crt" 2>/dev/null
  openssl req -newkey rsa:2048 -nodes -subj /CN=127.0.0.1 \
    -keyout "$d/server.key" -out "$d/server.csr" 2>/dev/null
  printf 'subjectAltName=IP:127.0.0.1\nbasicConstraints=CA:FALSE\n' >"$d/ext"
  openssl x509 -req -in "$d/server.csr" -CA "$d/ca.crt" -CAkey "$d/ca.key" -CAcreateserial \
    -days 2 -extfile "$d/ext" -out "$d/server.crt" 2>/dev/null
}

registry_start() {
  local htpasswd= tls= token= a port auth= tlscfg=
  for a in "$@"; do
    case $a in
      --htpasswd) htpasswd=1 ;;
      --tls) tls=1 ;;
      --token) token=1 ;;
    esac
  done
  REGISTRY_DIR=$(mktemp -d /tmp/skiff-registry.XXXXXX)
  mkdir -p "$REGISTRY_DIR/storage" "$REGISTRY_DIR/certs"
  if [ -n "$htpasswd" ]; then
    htpasswd -Bbn "$REGISTRY_USER" "$REGISTRY_PASSWORD" >"$REGISTRY_DIR/htpasswd" 2>/dev/null
    auth="auth:
  htpasswd:
    realm: skiff-test
    path: $REGISTRY_DIR/htpasswd"
  fi
  if [ -n "$token" ]; then
    local tport
    # The token signing key: its self-signed certificate is the bundle the
    # registry trusts; tokens carry it in their x5c header.
    openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=skiff-test-token \
      -keyout "$REGISTRY_DIR/token.key" -out "$REGISTRY_DIR/token.crt" 2>/dev/null
    tport=$(free_port)
    "$PYTHON" "$REGISTRY_TEST_DIR/token-server.py" --port "$tport" --key "$REGISTRY_DIR/token.key" \
      --cert "$REGISTRY_DIR/token.crt" --user "$REGISTRY_USER" --password "$REGISTRY_PASSWORD" \
      --log "$REGISTRY_DIR/token.log" >>"$REGISTRY_DIR/token.out" 2>&1 </dev/null &
    REGISTRY_PIDS+=("$!")
    wait_port "$tport" "$!" || { cat "$REGISTRY_DIR/token.out" >&2; return 1; }
    REGISTRY_TOKEN_REALM=http://127.0.0.1:$tport/token
    auth="auth:
  token:
    realm: $REGISTRY_TOKEN_REALM
    service: skiff-test-registry
    issuer: skiff-test-issuer
    rootcertbundle: $REGISTRY_DIR/token.crt"
  fi
  if [ -n "$tls" ]; then
    make_tls "$REGISTRY_DIR/certs"
    REGISTRY_CA=$REGISTRY_DIR/certs/ca.crt
    REGISTRY_CERT_DIR=$REGISTRY_DIR/certdir
    mkdir -p "$REGISTRY_CERT_DIR"
    cp "$REGISTRY_CA" "$REGISTRY_CERT_DIR/ca.crt"
    tlscfg="  tls:
    certificate: $REGISTRY_DIR/certs/server.crt
    key: $REGISTRY_DIR/certs/server.key"
  fi
  port=$(free_port)
  REGISTRY=127.0.0.1:$port
  cat >"$REGISTRY_DIR/config.yml" <<EOF
version: 0.1
log:
  level: error
storage:
  filesystem:
    rootdirectory: $REGISTRY_DIR/storage
  delete:
    enabled: true
http:
  addr: $REGISTRY
$tlscfg
$auth
EOF
  # docker-registry reads REGISTRY_* variables as configuration.
  env -u REGISTRY_AUTH_FILE docker-registry serve "$REGISTRY_DIR/config.yml" >>"$REGISTRY_DIR/registry.log" 2>&1 </dev/null &
  REGISTRY_PID=$!
  REGISTRY_PIDS+=("$REGISTRY_PID")
  wait_port "$port" "$REGISTRY_PID" || { cat "$REGISTRY_DIR/registry.log" >&2; return 1; }
}

# End the registry processes (by pid) and remove their files.
registry_stop() {
  local p
  for p in "${REGISTRY_PIDS[@]}"; do
    kill "$p" 2>/dev/null || true
  done
  for p in "${REGISTRY_PIDS[@]}"; do
    wait "$p" 2>/dev/null || true
  done
  REGISTRY_PIDS=()
  [ -n "${REGISTRY_DIR:-}" ] && rm -rf --one-file-system "$REGISTRY_DIR"
  REGISTRY_DIR=
}

# fake_registry_start LAYOUT [--bind 127.0.0.2] [faults...]
fake_registry_start() {
  local layout=$1 port bind=127.0.0.1
  shift
  [ "${1:-}" = --bind ] && bind=$2
  [ -n "${REGISTRY_DIR:-}" ] || REGISTRY_DIR=$(mktemp -d /tmp/skiff-registry.XXXXXX)
  port=$(free_port)
  FAKE=$bind:$port
  FAKE_LOG=$REGISTRY_DIR/fake-$port.log
  : >"$FAKE_LOG"
  "$PYTHON" "$REGISTRY_TEST_DIR/fake-registry.py" --port "$port" --layout "$layout" --log "$FAKE_LOG" "$@" \
    >>"$REGISTRY_DIR/fake-$port.out" 2>&1 </dev/null &
  REGISTRY_PIDS+=("$!")
  wait_port "$port" "$!" "$bind" || { cat "$REGISTRY_DIR/fake-$port.out" >&2; return 1; }
}

make_test_layout() {
  "$PYTHON" "$REGISTRY_TEST_DIR/make-test-image.py" "$@" --busybox "${BUSYBOX:-/bin/busybox}"
}

# push_image LAYOUT:TAG REPO:TAG [skopeo copy options]: into $REGISTRY.
push_image() {
  local src=$1 dst=$2
  shift 2
  local creds=()
  [ -f "$REGISTRY_DIR/htpasswd" ] || [ -n "${REGISTRY_TOKEN_REALM:-}" ] &&
    creds=(--dest-creds "$REGISTRY_USER:$REGISTRY_PASSWORD")
  skopeo copy -q --dest-tls-verify=false "${creds[@]}" "$@" "oci:$src" "docker://$REGISTRY/$dst" >/dev/null
}
