#!/usr/bin/env bats
# skiff-image build: Containerfile instructions, stages, the build context,
# the layer cache and its intermediate images, failures.  RUN goes through
# the skiff runtime; every test ends with nothing mounted, no container,
# no runtime state and no cgroup left, failed or not (teardown checks).

load helpers
load layers
load registry

setup() {
  setup_store
  CTX=$WORK/ctx
  mkdir -p "$CTX"
}

teardown() {
  local leftovers= cg
  if grep -q " $WORK/" /proc/self/mountinfo; then
    leftovers="mounts:$(grep " $WORK/" /proc/self/mountinfo | cut -d' ' -f5 | xargs)"
    grep " $WORK/" /proc/self/mountinfo | cut -d' ' -f5 | sort -r | xargs -r -n1 umount -l
  fi
  if [ -d "$STORE/containers" ] && [ -n "$(ls -A "$STORE/containers")" ]; then
    leftovers="$leftovers containers:$(ls "$STORE/containers" | xargs)"
  fi
  if [ -d "$STORE/runtime" ] && [ -n "$(ls -A "$STORE/runtime")" ]; then
    leftovers="$leftovers state:$(ls "$STORE/runtime" | xargs)"
    for id in $(ls "$STORE/runtime"); do "$SKIFF" --root "$STORE/runtime" delete -f "$id" >/dev/null 2>&1 || true; done
  fi
  cg=/sys/fs/cgroup/unified$(sed -n 's/^0:://p' /proc/self/cgroup)
  if ls -d "$cg"/skiff-* >/dev/null 2>&1; then
    for d in "$cg"/skiff-*; do
      [ -e "$WORK/cgroups-before" ] && grep -qx "$d" "$WORK/cgroups-before" && continue
      leftovers="$leftovers cgroup:$d"
    done
  fi
  registry_stop
  teardown_store
  [ -z "$leftovers" ] || { echo "left behind: $leftovers"; return 1; }
}

# The base image of these tests: busybox with a few more applets, users,
# and /tmp.
make_base() {
  ls -d /sys/fs/cgroup/unified$(sed -n 's/^0:://p' /proc/self/cgroup)/skiff-* >"$WORK/cgroups-before" 2>/dev/null || true
  make_image "${1:-base}" '{"config":{"Env":["PATH=/bin"],"Cmd":["/bin/sh"]},
    "layers":[{"busybox":true},
      {"entries":[
        {"name":"etc/passwd","data":"root:x:0:0:root:/root:/bin/sh\napp:x:1001:1002::/home/app:/bin/sh\n"},
        {"name":"etc/group","data":"root:x:0:\napp:x:1002:\n"},
        {"name":"bin/wc","type":"symlink","target":"busybox"},
        {"name":"bin/stat","type":"symlink","target":"busybox"},
        {"name":"bin/sed","type":"symlink","target":"busybox"},
        {"name":"tmp","type":"dir","mode":1023}]}]}'
}

build() {
  simg build "$@"
}

# The config ("config" member) of IMAGE.
config_of() {
  simg inspect "$1" | jq -c '.[0].Config.config'
}

@test "build: config instructions, RUN in both forms, COPY and ADD, as the image and its containers see them" {
  make_base
  mkdir -p "$CTX/app/sub"
  echo one >"$CTX/app/one.txt"
  echo two >"$CTX/app/sub/two.txt"
  echo 'echo script ran' >"$CTX/run.sh"
  mkdir -p "$WORK/tarsrc/pkg"
  echo packed >"$WORK/tarsrc/pkg/inside.txt"
  tar -C "$WORK/tarsrc" -czf "$CTX/pkg.tar.gz" pkg
  cat >"$CTX/Containerfile" <<'EOF'
# syntax=whatever/ignored
ARG VERSION=1.0
FROM base
MAINTAINER someone@example.org
ARG VERSION
ARG FLAVOUR=plain
ARG TARGETARCH
ENV APP_HOME=/srv/app \
    GREETING="hello world"
# a comment between the instruction and the next one
LABEL version=$VERSION "flavour"="$FLAVOUR"
WORKDIR $APP_HOME
WORKDIR data
RUN echo "pwd=$(pwd) version=$VERSION flavour=$FLAVOUR arch=$TARGETARCH greeting=$GREETING" > /built.txt
RUN ["/bin/sh", "-c", "echo exec form > /exec.txt"]
COPY app/one.txt app/sub ./
COPY --chown=app:app --chmod=0640 app/one.txt /owned/
COPY ap?/*.txt /glob/
ADD pkg.tar.gz /opt/
ADD run.sh /opt/run.sh
SHELL ["/bin/sh", "-e", "-c"]
RUN sh /opt/run.sh > /opt/ran.txt
USER app
EXPOSE 8080 53/udp
VOLUME /var/data
STOPSIGNAL SIGUSR1
ENTRYPOINT ["/bin/sh", "-c"]
CMD ["cat /built.txt /exec.txt; ls /srv/app/data; cat /opt/pkg/inside.txt /opt/ran.txt; id -u; pwd"]
HEALTHCHECK CMD true
EOF
  run build -t app:1 --build-arg FLAVOUR=spicy "$CTX"
  echo "$output"
  [ "$status" -eq 0 ]
  [[ "$output" == *"HEALTHCHECK is not part of OCI images"* ]]
  id=$(echo "$output" | tail -n 1)
  [ "${#id}" -eq 64 ]

  cfg=$(config_of app:1)
  echo "$cfg"
  [ "$(echo "$cfg" | jq -r '.User')" = app ]
  [ "$(echo "$cfg" | jq -r '.WorkingDir')" = /srv/app/data ]
  [ "$(echo "$cfg" | jq -r '.Labels.version + " " + .Labels.flavour')" = "1.0 spicy" ]
  [ "$(echo "$cfg" | jq -r '.ExposedPorts | keys | join(",")')" = "53/udp,8080/tcp" ]
  [ "$(echo "$cfg" | jq -r '.Volumes | keys | join(",")')" = /var/data ]
  [ "$(echo "$cfg" | jq -r '.StopSignal')" = SIGUSR1 ]
  [ "$(echo "$cfg" | jq -c '.Entrypoint')" = '["/bin/sh","-c"]' ]
  [ "$(echo "$cfg" | jq -r '.Env | map(select(startswith("GREETING="))) | .[0]')" = "GREETING=hello world" ]
  # ARGs are not part of the image's environment.
  [ "$(echo "$cfg" | jq -r '.Env | map(select(startswith("FLAVOUR="))) | length')" = 0 ]
  [ "$(simg inspect app:1 | jq -r '.[0].Config.author')" = someone@example.org ]
  # One layer per RUN, COPY and ADD on the base's two.
  [ "$(simg inspect app:1 | jq -r '.[0].Layers | length')" = 10 ]

  run simg run --rm app:1
  echo "$output"
  [ "$status" -eq 0 ]
  arch=$(uname -m | sed 's/x86_64/amd64/; s/aarch64/arm64/')
  [ "${lines[0]}" = "pwd=/srv/app/data version=1.0 flavour=spicy arch=$arch greeting=hello world" ]
  [ "${lines[1]}" = "exec form" ]
  [ "${lines[2]}" = "one.txt" ]
  [ "${lines[3]}" = "two.txt" ]
  [ "${lines[4]}" = "packed" ]
  [ "${lines[5]}" = "script ran" ]
  [ "${lines[6]}" = 1001 ]
  [ "${lines[7]}" = /srv/app/data ]

  # Owners and modes as COPY wrote them.
  run simg run --rm --entrypoint /bin/stat app:1 -c '%u:%g %a %n' /owned/one.txt /glob/one.txt
  echo "$output"
  [ "${lines[0]}" = "1001:1002 640 /owned/one.txt" ]
  [ "${lines[1]}" = "0:0 644 /glob/one.txt" ]
}

@test "build: ADD refuses remote sources; a Containerfile error names the file and line" {
  make_base
  printf 'FROM base\nADD https://example.org/x.tar /x\n' >"$CTX/Containerfile"
  run build "$CTX"
  echo "$output"
  [ "$status" -eq 1 ]
  [[ "$output" == *"Containerfile:2: ADD"*"remote sources are not supported"* ]]

  printf 'FROM base\nRUN true\n\nFROBNICATE now\n' >"$CTX/Dockerfile.bad"
  run build -f "$CTX/Dockerfile.bad" "$CTX"
  echo "$output"
  [ "$status" -eq 1 ]
  [[ "$output" == *"Dockerfile.bad:4: unknown instruction"*"FROBNICATE"* ]]

  # A missing COPY source is named.
  printf 'FROM base\nCOPY nothere* /x/\n' >"$CTX/Containerfile"
  run build "$CTX"
  echo "$output"
  [ "$status" -eq 1 ]
  [[ "$output" == *"Containerfile:2: COPY"*"nothere*"* ]]
}

@test "build: FROM an image the store lacks pulls it from its registry" {
  require_registry_tools
  export REGISTRY_AUTH_FILE=$WORK/auth.json HOME=$WORK
  make_base
  registry_start
  mkdir "$WORK/src"
  printf '%s' '{"config":{"Env":["PATH=/bin"]},"layers":[{"busybox":true}]}' >"$WORK/src.json"
  python3 "$SKIFF_SRCDIR/tests/image/mklayers.py" "$WORK/src" remote "$WORK/src.json" >/dev/null
  push_image "$WORK/src:remote" test/remote:1
  printf 'FROM %s/test/remote:1\nRUN echo pulled and built > /x\nCMD ["cat", "/x"]\n' "$REGISTRY" >"$CTX/Containerfile"
  run build -t fromreg "$CTX"
  echo "$output"
  [ "$status" -eq 0 ]
  [[ "$output" == *"Pulling $REGISTRY/test/remote:1"* ]]
  [ "$(simg run --rm fromreg)" = "pulled and built" ]
  simg images | grep -q "$REGISTRY/test/remote"
}

@test "build: -f defaults to Containerfile, then Dockerfile" {
  make_base
  printf 'FROM base\nLABEL from=dockerfile\n' >"$CTX/Dockerfile"
  run build -q -t df "$CTX"
  [ "$status" -eq 0 ]
  [ "$(config_of df | jq -r .Labels.from)" = dockerfile ]
  printf 'FROM base\nLABEL from=containerfile\n' >"$CTX/Containerfile"
  run build -q -t cf "$CTX"
  [ "$status" -eq 0 ]
  [ "${#lines[@]}" -eq 1 ]
  [ "$(config_of cf | jq -r .Labels.from)" = containerfile ]
}

@test "build: multi-stage with COPY --from by name and number, FROM scratch, --target" {
  make_base
  cat >"$CTX/Containerfile" <<'EOF'
ARG BASE=base
FROM --platform=$BUILDPLATFORM $BASE AS builder
RUN mkdir /out && echo "made in stage 0" > /out/result
FROM builder AS tester
RUN echo tested > /out/tested
FROM scratch
COPY --from=builder /out/result /result
COPY --from=0 /bin/busybox /bin/sh
COPY --from=tester /out/tested /
CMD ["/bin/sh", "-c", "cat /result /tested; echo sh is $0"]
EOF
  run build -t multi "$CTX"
  echo "$output"
  [ "$status" -eq 0 ]
  [[ "$output" == *"[3/3] STEP 4/5: COPY --from=tester /out/tested /"* ]]
  run simg run --rm multi
  echo "$output"
  [ "${lines[0]}" = "made in stage 0" ]
  [ "${lines[1]}" = "tested" ]
  [ "${lines[2]}" = "sh is /bin/sh" ]
  # The final image has only what it copied: three layers.
  [ "$(simg inspect multi | jq -r '.[0].Layers | length')" = 3 ]

  run build -t builder-only --target builder "$CTX"
  echo "$output"
  [ "$status" -eq 0 ]
  [[ "$output" != *"STEP 2/5"* ]]
  run simg run --rm builder-only cat /out/result
  echo "$output"
  [ "$output" = "made in stage 0" ]

  run build --target nosuch "$CTX"
  [ "$status" -eq 1 ]
  [[ "$output" == *"--target nosuch"* ]]

  printf 'FROM --platform=linux/s390x-nonesuch base\n' >"$CTX/Containerfile"
  run build "$CTX"
  [ "$status" -eq 1 ]
  [[ "$output" == *"Containerfile:1: FROM: --platform=linux/s390x-nonesuch: only this machine's platform"* ]]
}

@test "build: .containerignore keeps files out of COPY, with ! exceptions" {
  make_base
  mkdir -p "$CTX/src/logs"
  echo code >"$CTX/src/main.c"
  echo secret >"$CTX/src/secret.key"
  echo log >"$CTX/src/logs/a.log"
  echo keep >"$CTX/src/logs/keep.log"
  printf '# secrets and logs stay out\n**/*.key\nsrc/logs\n!src/logs/keep.log\n' >"$CTX/.containerignore"
  printf 'FROM base\nCOPY src /src\nCMD ["/bin/sh", "-c", "cd /src && ls -R"]\n' >"$CTX/Containerfile"
  run build -t ign "$CTX"
  [ "$status" -eq 0 ]
  run simg run --rm ign
  echo "$output"
  [[ "$output" == *main.c* ]]
  [[ "$output" == *keep.log* ]]
  [[ "$output" != *secret.key* ]]
  [[ "$output" != *a.log* ]]
}

@test "build: the cache reuses unchanged steps; a changed file reruns its step and the following ones only" {
  make_base
  echo v1 >"$CTX/a.txt"
  echo b >"$CTX/b.txt"
  cat >"$CTX/Containerfile" <<'EOF'
FROM base
RUN echo "first step $(echo ran)"; echo 1 > /first
COPY a.txt /a.txt
RUN echo "third step $(echo ran)"; cat /a.txt > /third
COPY b.txt /b.txt
CMD ["cat", "/third"]
EOF
  run build -t cached "$CTX"
  echo "$output"
  [ "$status" -eq 0 ]
  first_id=${lines[-1]}
  [ "$(echo "$output" | grep -c 'Using cache')" -eq 0 ]
  [[ "$output" == *"first step ran"* ]]

  # Unchanged: every step from the cache, the same image; mtimes do not count.
  touch -d '2001-01-01' "$CTX/a.txt"
  run build -t cached "$CTX"
  echo "$output"
  [ "$status" -eq 0 ]
  [ "${lines[-1]}" = "$first_id" ]
  [ "$(echo "$output" | grep -c 'Using cache')" -eq 5 ]
  [[ "$output" != *"step ran"* ]]

  # a.txt changed: its COPY and what follows run again, the first RUN not.
  echo v2 >"$CTX/a.txt"
  run build -t cached "$CTX"
  echo "$output"
  [ "$status" -eq 0 ]
  [ "${lines[-1]}" != "$first_id" ]
  [ "$(echo "$output" | grep -c 'Using cache')" -eq 1 ]
  [[ "$output" != *"first step ran"* ]]
  [[ "$output" == *"third step ran"* ]]
  run simg run --rm cached
  [ "$output" = v2 ]

  # The tag moved: the first image is <none>; intermediate images are
  # listed with -a only.
  run simg images --format json
  echo "$output"
  [ "$(echo "$output" | jq -r --arg id "${first_id}" '.[] | select(.Id == $id) | .Dangling')" = true ]
  [ "$(simg images -q | wc -l)" -eq 3 ]
  [ "$(simg images -a -q | wc -l)" -eq 10 ]

  # --no-cache runs everything.
  run build --no-cache -t cached "$CTX"
  [ "$status" -eq 0 ]
  [ "$(echo "$output" | grep -c 'Using cache')" -eq 0 ]
  [[ "$output" == *"first step ran"* ]]

  # prune removes the dangling images and the intermediate images only
  # they needed; what the tagged image was built from stays, as its cache.
  run simg prune
  echo "$output"
  [ "$status" -eq 0 ]
  [ "$(simg images -q | wc -l)" -eq 2 ]
  [ "$(simg images -a -q | wc -l)" -eq 6 ]
  run build -t cached "$CTX"
  [ "$(echo "$output" | grep -c 'Using cache')" -eq 5 ]
  run simg run --rm cached
  [ "$output" = v2 ]
}

@test "build: --layers=false looks nothing up and keeps no intermediate image; the result keeps its layers" {
  make_base
  echo data >"$CTX/a.txt"
  cat >"$CTX/Containerfile" <<'EOF'
FROM base AS first
RUN echo one > /one
FROM base
ENV K=v
RUN echo "step ran" > /two
COPY --from=first /one /one
COPY a.txt /a.txt
CMD ["cat", "/one", "/two", "/a.txt"]
EOF
  run build -t warm "$CTX"
  [ "$status" -eq 0 ]
  before=$(simg images -a -q | sort)
  run build --layers=false -t flat "$CTX"
  echo "$output"
  [ "$status" -eq 0 ]
  [ "$(echo "$output" | grep -c 'Using cache')" -eq 0 ]
  # One new image, the result: no step's image and no stage's stays.
  new=$(simg images -a -q | sort | comm -13 <(echo "$before") -)
  echo "new: $new"
  id=$(simg inspect flat | jq -r '.[0].Id')
  id=${id#sha256:}
  [ "$new" = "${id:0:12}" ]
  run simg run --rm flat
  [ "$output" = "one
step ran
data" ]
  # Its blobs are all there (fsck), and a prune leaves it whole.
  run simg fsck
  [ "$status" -eq 0 ]
  run simg prune
  run simg run --rm flat
  [ "$output" = "one
step ran
data" ]
  # A failed build keeps nothing of its steps either.
  before=$(simg images -a -q | sort)
  printf 'FROM base\nRUN echo made > /x\nRUN exit 3\n' >"$CTX/Containerfile"
  run build --layers=false -t broken "$CTX"
  [ "$status" -eq 3 ]
  [ "$(simg images -a -q | sort)" = "$before" ]
}

@test "build: build args that a RUN uses are part of its cache key" {
  make_base
  printf 'FROM base\nARG WHO=nobody\nRUN echo "hello $WHO" > /who\nCMD ["cat", "/who"]\n' >"$CTX/Containerfile"
  run build -t args --build-arg WHO=alice "$CTX"
  [ "$status" -eq 0 ]
  [ "$(simg run --rm args)" = "hello alice" ]
  run build -t args --build-arg WHO=bob "$CTX"
  [ "$(echo "$output" | grep -c 'Using cache')" -eq 0 ]
  [ "$(simg run --rm args)" = "hello bob" ]
  run build -t args --build-arg WHO=alice "$CTX"
  [ "$(echo "$output" | grep -c 'Using cache')" -eq 2 ]
  [ "$(simg run --rm args)" = "hello alice" ]
  # An unused build arg is reported.
  run build --build-arg UNUSED=1 "$CTX"
  [[ "$output" == *"--build-arg UNUSED: no ARG"* ]]
}

@test "build: RUN runs as USER with the proxy build args, which stay out of the image and the cache key" {
  make_base
  printf 'FROM base\nUSER app\nRUN echo "$(id -u) $http_proxy $NO_PROXY" > /tmp/seen\nCMD ["cat", "/tmp/seen"]\n' \
    >"$CTX/Containerfile"
  run build -q -t proxied --build-arg http_proxy=http://proxy.invalid:3128 --build-arg NO_PROXY=local "$CTX"
  echo "$output"
  [ "$status" -eq 0 ]
  [ "$(simg run --rm proxied)" = "1001 http://proxy.invalid:3128 local" ]
  [ "$(config_of proxied | jq -r '.Env | map(select(test("proxy"; "i"))) | length')" = 0 ]
  run build -t proxied --build-arg http_proxy=http://other.invalid:8080 "$CTX"
  echo "$output"
  [ "$(echo "$output" | grep -c 'Using cache')" -eq 3 ]
}

@test "build: a failing RUN stops the build with its exit status and output, nothing left" {
  make_base
  printf 'FROM base\nRUN echo before\nRUN echo "it failed" >&2; exit 7\nRUN echo never\n' >"$CTX/Containerfile"
  run build -t failed "$CTX"
  echo "$output"
  [ "$status" -eq 7 ]
  [[ "$output" == *"it failed"* ]]
  [[ "$output" == *"Containerfile:3: RUN: \`echo \"it failed\" >&2; exit 7\`: exit status 7"* ]]
  [[ "$output" != *never* ]]
  run simg images --format json
  [ "$(echo "$output" | jq -r '.[].Names[]' | grep -c failed)" -eq 0 ]
  [ -z "$(ls -A "$STORE/containers")" ]
  # A RUN in an image without files cannot run.
  printf 'FROM scratch\nRUN true\n' >"$CTX/Containerfile"
  run build "$CTX"
  [ "$status" -eq 1 ]
  [[ "$output" == *"Containerfile:2: RUN"*"no files"* ]]
}

@test "build: SIGINT or SIGTERM during a RUN stops the build, kills the step and cleans up" {
  make_base
  printf 'FROM base\nRUN echo started; sleep 60\n' >"$CTX/Containerfile"
  for sig in INT:130 TERM:143; do
    # (appending: the container writes through a file description of
    # its own, which must not overwrite the build's output)
    : >"$WORK/out"
    setsid "$SKIFF_IMAGE" --root "$STORE" build "$CTX" >>"$WORK/out" 2>&1 &
    pid=$!
    IMAGE_TEST_PIDS+=("$pid")
    for ((i = 0; i < 100; i++)); do
      grep -q started "$WORK/out" && break
      sleep 0.1
    done
    grep -q started "$WORK/out"
    start=$SECONDS
    kill -"${sig%:*}" "$pid"
    rc=0
    wait "$pid" || rc=$?
    cat "$WORK/out"
    [ "$rc" -eq "${sig#*:}" ]
    [ $((SECONDS - start)) -lt 20 ]
    grep -q "RUN: interrupted" "$WORK/out"
    [ -z "$(ls -A "$STORE/containers")" ]
  done
}

# build_bg NAME ARGS...: a build in the background, its output in
# $WORK/NAME.out, its pid in $bg_pid.
build_bg() {
  local name=$1
  shift
  : >"$WORK/$name.out"
  setsid "$SKIFF_IMAGE" --root "$STORE" build "$@" >>"$WORK/$name.out" 2>&1 &
  bg_pid=$!
  IMAGE_TEST_PIDS+=("$bg_pid")
}

# wait_output NAME LINE: until $WORK/NAME.out has LINE (30 s at most; the
# STEP line that shows the command does not count).
# Build A ($WORK/a), SIGKILLed during its RUN; $a is its pid.
kill_build_a() {
  build_bg a "$WORK/a"
  a=$bg_pid
  wait_output a a-started
  kill -9 "$a"
  wait "$a" || true
}

wait_output() {
  local i
  for ((i = 0; i < 300; i++)); do
    grep -qx "$2" "$WORK/$1.out" && return 0
    sleep 0.1
  done
  cat "$WORK/$1.out"
  return 1
}

@test "build: SIGKILL mid-RUN leaves an orphan that container prune, the next build and rm -f remove; a concurrent build is untouched" {
  make_base
  mkdir "$WORK/a" "$WORK/b"
  printf 'FROM base\nRUN echo a-started; sleep 60\n' >"$WORK/a/Containerfile"
  printf 'FROM base\nRUN echo b-started; sleep 8; echo b >/b\nCMD ["cat", "/b"]\n' >"$WORK/b/Containerfile"
  build_bg a "$WORK/a"
  a=$bg_pid
  wait_output a a-started
  build_bg b -t b "$WORK/b"
  b=$bg_pid
  wait_output b b-started
  kill -9 "$a"
  wait "$a" || true

  # Both working containers show as build containers; the killed build's
  # is an orphan, its RUN still running.
  run simg ps -a --format json
  echo "$output"
  [ "$(echo "$output" | jq length)" -eq 2 ]
  [ "$(echo "$output" | jq -r '.[] | select(.Orphaned) | .BuildPid')" -eq "$a" ]
  [ "$(echo "$output" | jq -r '.[] | select(.Orphaned | not) | .BuildPid')" -eq "$b" ]
  [ "$(echo "$output" | jq -r '.[] | select(.Orphaned) | .State')" = running ]
  orphan=$(echo "$output" | jq -r '.[] | select(.Orphaned) | .Id')
  run simg ps -a
  echo "$output"
  [[ "$output" == *"Up "*"(build, orphaned)"* ]]
  [[ "$output" == *"Up "*"(build)"* ]]

  run simg container prune
  echo "$output"
  [ "$status" -eq 0 ]
  [ "$output" = "$orphan" ]
  [ ! -e "$STORE/containers/$orphan" ]
  [ ! -e "$STORE/runtime/$orphan" ]
  # The live build's container is untouched, and its build completes.
  [ "$(simg ps -a --format json | jq -r '.[].BuildPid')" = "$b" ]
  rc=0
  wait "$b" || rc=$?
  cat "$WORK/b.out"
  [ "$rc" -eq 0 ]
  [ "$(simg run --rm b)" = b ]
  [ -z "$(ls -A "$STORE/containers")" ]
  ! grep -q " $STORE/" /proc/self/mountinfo

  # Killed again: the next build removes the orphan first.
  kill_build_a
  [ "$(simg ps -a --format json | jq -r '.[].BuildPid')" = "$a" ]
  printf 'FROM base\nRUN true\n' >"$CTX/Containerfile"
  run build -q "$CTX"
  echo "$output"
  [ "$status" -eq 0 ]
  [ -z "$(ls -A "$STORE/containers")" ]
  [ -z "$(ls -A "$STORE/runtime")" ]
  ! grep -q " $STORE/" /proc/self/mountinfo

  # rm -f removes one by its name, still running.
  kill_build_a
  name=$(simg ps --format json | jq -r '.[] | select(.Orphaned) | .Name')
  [ -n "$name" ]
  run simg rm -f "$name"
  [ "$status" -eq 0 ]
  [ "$output" = "$name" ]
  [ -z "$(ls -A "$STORE/containers")" ]
  [ -z "$(ls -A "$STORE/runtime")" ]
  ! grep -q " $STORE/" /proc/self/mountinfo
}

@test "build: the plain directory of a step killed with SIGKILL on an image without layers goes with prune or the next build" {
  # Enough files that the COPY takes a few seconds.
  mkdir "$CTX/many"
  python3 -c 'import sys
for i in range(10000): open("%s/%d" % (sys.argv[1], i), "w").write(str(i))' "$CTX/many"
  printf 'FROM scratch\nCOPY many /many\n' >"$CTX/Containerfile"
  mkdir -p "$STORE/layers"
  for cleaner in prune build; do
    build_bg scratch "$CTX"
    pid=$bg_pid
    for ((i = 0; i < 100000; i++)); do
      dir=$(compgen -G "$STORE/layers/tmp-build-$pid-*") && break
    done
    echo "$dir"
    # The live build's directory is kept.
    if [ "$cleaner" = prune ]; then
      run simg container prune
      [ "$status" -eq 0 ]
      [ -d "$dir" ]
    fi
    kill -9 "$pid"
    wait "$pid" || true
    [ -d "$dir" ]
    if [ "$cleaner" = prune ]; then
      run simg container prune
    else
      run build -q -t copied "$CTX"
    fi
    echo "$output"
    [ "$status" -eq 0 ]
    [ ! -e "$dir" ]
  done
  [ -z "$(compgen -G "$STORE/layers/tmp-*")" ]
  # The build after the killed one completed.
  [ "$(simg inspect copied | jq '.[0].Config.rootfs.diff_ids | length')" -eq 1 ]
}

@test "build: --network none gives RUN only loopback; host is the default, with the host's resolv.conf" {
  make_base
  printf 'FROM base\nRUN ls /sys/class/net | wc -l > /n; cat /etc/resolv.conf > /resolv || true\nRUN --network=none ls /sys/class/net | wc -l > /n2\nCMD ["cat", "/n"]\n' \
    >"$CTX/Containerfile"
  run build -q -t netnone --network none "$CTX"
  [ "$status" -eq 0 ]
  [ "$(simg run --rm netnone)" = 1 ]
  # (the network is not part of the cache key)
  run build -q --no-cache -t nethost "$CTX"
  [ "$status" -eq 0 ]
  [ "$(simg run --rm nethost)" = "$(ls /sys/class/net | wc -l)" ]
  [ "$(simg run --rm nethost cat /n2)" = 1 ]
  if [ -r /etc/resolv.conf ]; then
    [ "$(simg run --rm nethost cat /resolv)" = "$(cat /etc/resolv.conf)" ]
  fi
}

@test "build: podman runs the built image after save and load" {
  require_cmd podman
  [ "$(id -u)" = 0 ] || skip "podman with private storage runs as root here"
  make_base
  echo "from the context" >"$CTX/msg"
  printf 'FROM base\nCOPY msg /msg\nRUN echo "built by skiff" > /built\nCMD ["/bin/sh", "-c", "cat /built /msg"]\n' \
    >"$CTX/Containerfile"
  run build -q -t docker.io/library/forpodman:1 "$CTX"
  [ "$status" -eq 0 ]
  simg save -o "$WORK/img.tar" forpodman:1
  # podman in a mount namespace of its own with the cgroup2 hierarchy on
  # /sys/fs/cgroup (the host's v1 hierarchies stay untouched), its storage
  # in $WORK, no cgroups for the container.
  run unshare -m --propagation private sh -c '
    mount -t cgroup2 none /sys/fs/cgroup || exit 99
    P="podman --root $1/pm/root --runroot $1/pm/run --storage-driver vfs --cgroup-manager cgroupfs --events-backend file --tmpdir $1/pm/tmp"
    $P load -q -i "$1/img.tar" >/dev/null || exit 98
    $P run --rm --cgroups=disabled --network none --ulimit nofile=1024:1024 --ulimit nproc=4096:4096 docker.io/library/forpodman:1
  ' sh "$WORK"
  echo "$output"
  [ "$status" -eq 0 ]
  [ "${lines[0]}" = "built by skiff" ]
  [ "${lines[1]}" = "from the context" ]
}
