#!/usr/bin/env bats
# skiff-image login/logout and authenticated pull/push: htpasswd Basic auth,
# Bearer tokens from a token server (anonymous and with credentials), TLS
# with a private CA, podman's auth.json and Docker's config.json.

load helpers
load registry

setup() {
  registry_setup
  LAYOUT=$WORK/layout
  make_test_layout "$LAYOUT" t1 >/dev/null
}

teardown() {
  registry_cleanup
}

store_images() {
  [ -e "$STORE/oci/index.json" ] && jq -c '.manifests' "$STORE/oci/index.json" || echo none
}

@test "auth: htpasswd: anonymous pull refused, login checks the password, pull/push, logout" {
  registry_start --htpasswd
  push_image "$LAYOUT:t1" private:1

  run simg pull "$REGISTRY/private:1"
  [ "$status" -ne 0 ]
  [[ "$output" == *"HTTP 401"* ]]
  [ "$(store_images)" = none ] || [ "$(store_images)" = '[]' ]

  run simg login -u "$REGISTRY_USER" --password-stdin "$REGISTRY" <<<"wrong"
  [ "$status" -ne 0 ]
  [[ "$output" == *"login $REGISTRY"*"401"* ]]
  [ ! -e "$REGISTRY_AUTH_FILE" ]

  # The password only on stdin.
  run simg login -u "$REGISTRY_USER" "$REGISTRY"
  [ "$status" -eq 2 ]

  run simg login -u "$REGISTRY_USER" --password-stdin "$REGISTRY" <<<"$REGISTRY_PASSWORD"
  [ "$status" -eq 0 ]
  # podman's format: base64 of USER:PASSWORD under the registry's name, mode 0600.
  [ "$(jq -r --arg r "$REGISTRY" '.auths[$r].auth' "$REGISTRY_AUTH_FILE" | base64 -d)" = "$REGISTRY_USER:$REGISTRY_PASSWORD" ]
  [ "$(stat -c %a "$REGISTRY_AUTH_FILE")" = 600 ]

  run simg pull "$REGISTRY/private:1"
  [ "$status" -eq 0 ]
  run simg push "$REGISTRY/private:1" "$REGISTRY/private2:1"
  [ "$status" -eq 0 ]
  skopeo inspect --tls-verify=false --creds "$REGISTRY_USER:$REGISTRY_PASSWORD" "docker://$REGISTRY/private2:1" >/dev/null

  run simg logout "$REGISTRY"
  [ "$status" -eq 0 ]
  [ "$(jq -r --arg r "$REGISTRY" '.auths[$r]' "$REGISTRY_AUTH_FILE")" = null ]
  run simg logout "$REGISTRY"
  [ "$status" -ne 0 ]
  [[ "$output" == *"not logged into $REGISTRY"* ]]
  run simg pull "$REGISTRY/private:1"
  [ "$status" -ne 0 ]
}

@test "auth: --authfile, other entries kept, and Docker's config.json as a fallback" {
  registry_start --htpasswd
  push_image "$LAYOUT:t1" private:1
  af=$WORK/my-auth.json
  echo '{"auths":{"other.example:5000":{"auth":"eDp5"}},"credHelpers":{"x":"y"}}' >"$af"
  run simg login --authfile "$af" -u "$REGISTRY_USER" --password-stdin "$REGISTRY" <<<"$REGISTRY_PASSWORD"
  [ "$status" -eq 0 ]
  [ "$(jq -r '.auths["other.example:5000"].auth' "$af")" = eDp5 ]
  [ "$(jq -r '.credHelpers.x' "$af")" = y ]
  [ ! -e "$REGISTRY_AUTH_FILE" ]
  run simg pull --authfile "$af" "$REGISTRY/private:1"
  [ "$status" -eq 0 ]

  # No auth.json: ~/.docker/config.json, with Docker's https:// key.
  rm -rf "$STORE"
  mkdir -p "$HOME/.docker"
  jq -n --arg k "https://$REGISTRY" --arg a "$(printf '%s:%s' "$REGISTRY_USER" "$REGISTRY_PASSWORD" | base64 -w0)" \
    '{auths: {($k): {auth: $a}}}' >"$HOME/.docker/config.json"
  run simg pull "$REGISTRY/private:1"
  [ "$status" -eq 0 ]
}

@test "auth: Bearer tokens: anonymous pull, push needs login" {
  registry_start --token
  push_image "$LAYOUT:t1" pub:1

  run simg pull "$REGISTRY/pub:1"
  [ "$status" -eq 0 ]
  # An anonymous token for exactly this repository's pull.
  grep -q '"path": "/token?service=skiff-test-registry&scope=repository%3Apub%3Apull", "auth": false' \
    "$REGISTRY_DIR/token.log"

  run simg push "$REGISTRY/pub:1" "$REGISTRY/pushed:1"
  [ "$status" -ne 0 ]
  [[ "$output" == *"401"* || "$output" == *"denied"* || "$output" == *"DENIED"* ]]

  run simg login -u "$REGISTRY_USER" --password-stdin "$REGISTRY" <<<"nope"
  [ "$status" -ne 0 ]
  [[ "$output" == *"token"*"401"* ]]
  run simg login -u "$REGISTRY_USER" --password-stdin "$REGISTRY" <<<"$REGISTRY_PASSWORD"
  [ "$status" -eq 0 ]
  run simg push "$REGISTRY/pub:1" "$REGISTRY/pushed:1"
  [ "$status" -eq 0 ]
  # Push asked for pull,push on the destination and pull on the source (mount).
  grep -q 'scope=repository%3Apushed%3Apull%2Cpush&scope=repository%3Apub%3Apull&account=skiff", "auth": true' \
    "$REGISTRY_DIR/token.log"
  skopeo inspect --tls-verify=false "docker://$REGISTRY/pushed:1" >/dev/null
}

@test "auth: login over TLS with a private CA (--cert-dir), then pull" {
  registry_start --tls --htpasswd
  push_image "$LAYOUT:t1" private:1
  run simg login -u "$REGISTRY_USER" --password-stdin "$REGISTRY" <<<"$REGISTRY_PASSWORD"
  [ "$status" -ne 0 ]
  [[ "$output" == *"certificate"* ]]
  run simg login --cert-dir "$REGISTRY_CERT_DIR" -u "$REGISTRY_USER" --password-stdin "$REGISTRY" <<<"$REGISTRY_PASSWORD"
  [ "$status" -eq 0 ]
  run simg pull --cert-dir "$REGISTRY_CERT_DIR" "$REGISTRY/private:1"
  [ "$status" -eq 0 ]
}

@test "auth: a blob redirect to another host does not carry the credentials" {
  # A registry that wants Basic auth and redirects blobs to 127.0.0.2,
  # which serves them and logs whether credentials came along.
  fake_registry_start "$LAYOUT" --bind 127.0.0.2
  cdn=$FAKE cdn_log=$FAKE_LOG
  fake_registry_start "$LAYOUT" --basic "$REGISTRY_USER:$REGISTRY_PASSWORD" --redirect-blobs "http://$cdn"
  run simg login -u "$REGISTRY_USER" --password-stdin "$FAKE" <<<"$REGISTRY_PASSWORD"
  [ "$status" -eq 0 ]
  run simg pull "$FAKE/img:t1"
  [ "$status" -eq 0 ]
  # The registry saw credentials on every request, the other host on none.
  [ "$(jq -s '[.[] | select(.path | startswith("/v2/img/")) | .auth] | all' "$FAKE_LOG")" = true ]
  [ "$(jq -s '[.[] | select(.path | contains("/blobs/"))] | length' "$cdn_log")" -eq 4 ]
  [ "$(jq -s '[.[] | .auth] | any' "$cdn_log")" = false ]
  run simg fsck
  [ "$status" -eq 0 ]
}
