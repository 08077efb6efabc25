#!/usr/bin/env bats
# Container escapes attempted from inside real containers: the host skiff
# binary through /proc/self/exe (CVE-2019-5736), host fds and cwd leaking
# into the container (CVE-2024-21626), mount/device/mask targets
# redirected by symlinks (CVE-2021-30465), masked /proc and /sys, `exec`
# bypassing the container's confinement, signals and ptrace to the host.

load helpers

setup() {
  setup_bundle
  VICTIM=
}

teardown() {
  teardown_bundle
  [ -z "$VICTIM" ] || rm -f "$VICTIM"
}

# The /proc/self/exe attacks run against a copy of skiff: if the runtime
# were vulnerable, the test destroys the copy, not the build.
make_victim() {
  VICTIM=$(mktemp /tmp/skiff-victim.XXXXXX)
  cp "$SKIFF" "$VICTIM"
  chmod 755 "$VICTIM"
  VICTIM_SHA=$(sha256sum "$VICTIM" | cut -d' ' -f1)
}

victim() {
  "$VICTIM" --root "$ROOT" "$@"
}

victim_unchanged() {
  [ "$(sha256sum "$VICTIM" | cut -d' ' -f1)" = "$VICTIM_SHA" ] || {
    echo "the host skiff binary was modified from the container" >&2
    head -c 64 "$VICTIM" | od -c | head -3 >&2
    return 1
  }
}

# Give the rootfs what a glibc image has (the dynamic loader and skiff's
# libraries, so the host skiff binary can really run inside), plus the
# attacker's LD_PRELOAD library.
arm_rootfs() {
  require_cmd cc ldd
  local f r=$BUNDLE/rootfs
  for f in $(ldd "$VICTIM" | grep -o '/[^ ]*'); do
    mkdir -p "$r$(dirname "$f")"
    cp -L "$f" "$r$f"
  done
  cc -shared -fPIC -o "$r/evil.so" "$BATS_TEST_DIRNAME/escape-preload.c"
  update_config '.process.env += ["LD_PRELOAD=/evil.so"] | .root.readonly = false'
}

# Wait until the container wrote its attack report (or SECS pass).
wait_report() {
  local i
  for ((i = 0; i < ${1:-80}; i++)); do
    [ -s "$BUNDLE/rootfs/attack.out" ] && grep -q -E 'errno|written' "$BUNDLE/rootfs/attack.out" && break
    sleep 0.1
  done
  cat "$BUNDLE/rootfs/attack.out" 2>/dev/null || true
}

# ---- 1. the host binary through /proc/self/exe -------------------------

@test "escape: a #!/proc/self/exe entrypoint cannot reach the host skiff binary" {
  make_victim
  arm_rootfs
  printf '#!/proc/self/exe\n' >"$BUNDLE/rootfs/evil.sh"
  chmod 755 "$BUNDLE/rootfs/evil.sh"
  set_args /evil.sh
  run victim run -d -b "$BUNDLE" ct1
  echo "$output"
  # Detached: the runtime has exited, so the binary is no longer busy
  # (ETXTBSY) and an fd on it would be writable by now.
  run wait_report 30
  echo "report: $output"
  [[ "$output" != *written* ]]
  victim_unchanged
  # Foreground, to see what the script's interpreter really was: skiff's
  # sealed exec stub, which refuses to run as anything but skiff's.
  run victim run -b "$BUNDLE" ct2
  echo "$output"
  [ "$status" -eq 126 ]
  [[ "$output" == *"exec stub"* ]]
  [ ! -e "$BUNDLE/rootfs/attack.out" ]
  victim_unchanged
}

@test "escape: a symlink to /proc/self/exe as the entrypoint cannot reach the host skiff binary" {
  make_victim
  arm_rootfs
  ln -s /proc/self/exe "$BUNDLE/rootfs/evil"
  set_args /evil
  run victim run -d -b "$BUNDLE" ct1
  echo "$output"
  run wait_report 30
  echo "report: $output"
  [[ "$output" != *written* ]]
  [ ! -e "$BUNDLE/rootfs/attack.out" ]
  victim_unchanged
}

@test "escape: exec of a #!/proc/self/exe script cannot reach the host skiff binary" {
  make_victim
  arm_rootfs
  printf '#!/proc/self/exe\n' >"$BUNDLE/rootfs/evil.sh"
  chmod 755 "$BUNDLE/rootfs/evil.sh"
  update_config '.process.env -= ["LD_PRELOAD=/evil.so"]'
  set_args /bin/skiff-test-helper sleep 30
  victim run -d -b "$BUNDLE" ct1
  run victim exec -d --env LD_PRELOAD=/evil.so ct1 /evil.sh
  echo "$output"
  run wait_report 30
  echo "report: $output"
  [[ "$output" != *written* ]]
  [ ! -e "$BUNDLE/rootfs/attack.out" ]
  run victim exec --env LD_PRELOAD=/evil.so ct1 /evil.sh
  echo "$output"
  [ "$status" -eq 126 ]
  [[ "$output" == *"exec stub"* ]]
  victim_unchanged
}

@test "escape: a process in a created container cannot open the waiting runtime's /proc/1/exe" {
  make_victim
  set_args /bin/skiff-test-helper sleep 10
  update_config '.root.readonly = false'
  victim create -b "$BUNDLE" ct1
  # pid 1 is still the runtime (exe = host skiff) waiting for `start`.
  victim exec -d ct1 /bin/sh -c '/bin/skiff-test-helper exe-attack /proc/1/exe 5 >/attack.out'
  sleep 0.5
  victim start ct1
  run wait_report 70
  echo "report: $output"
  [[ "$output" == "open errno=13" ]]
  victim_unchanged
}
