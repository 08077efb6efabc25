#!/usr/bin/env bash
# Run skiff-image's tests (bats) as `make check` does:
#   SKIFF_BUILDDIR=... SKIFF_SRCDIR=... run.sh
# SKIFF_IMAGE_TESTS="store archive" (names or paths) selects some files.
# Prints the TAP stream, then one summary line `N passed, N failed, N skipped`;
# exits 1 when a test failed or a tool the whole suite needs is missing.
set -u

here=$(cd "$(dirname "$0")" && pwd)
SKIFF_SRCDIR=${SKIFF_SRCDIR:-$(cd "$here/../.." && pwd)}
SKIFF_BUILDDIR=${SKIFF_BUILDDIR:-$PWD}
SKIFF_IMAGE=${SKIFF_IMAGE:-$SKIFF_BUILDDIR/skiff-image}
export SKIFF_SRCDIR SKIFF_BUILDDIR SKIFF_IMAGE

missing=
command -v bats >/dev/null 2>&1 || missing="$missing bats"
command -v jq >/dev/null 2>&1 || missing="$missing jq"
bb_static=
for bb in /bin/busybox /usr/bin/busybox; do
  if [ -x "$bb" ] && [[ "$(LC_ALL=C ldd "$bb" 2>&1)" == *"not a dynamic executable"* ]]; then
    bb_static=$bb
    break
  fi
done
[ -n "$bb_static" ] || missing="$missing busybox-static"
if [ -n "$missing" ]; then
  echo "image tests need the Debian packages:$missing"
  echo "install them with: apt-get install -y$missing   (or contrib/install-deps.sh --tests)"
  exit 1
fi
if [ ! -x "$SKIFF_IMAGE" ]; then
  echo "missing $SKIFF_IMAGE: build it first (make)"
  exit 1
fi
export BUSYBOX=$bb_static

files=()
if [ -n "${SKIFF_IMAGE_TESTS:-}" ]; then
  for t in $SKIFF_IMAGE_TESTS; do
    case $t in
      */*) files+=("$t") ;;
      *.bats) files+=("$here/$t") ;;
      *) files+=("$here/$t.bats") ;;
    esac
  done
else
  files=("$here"/*.bats)
fi
if [ ! -e "${files[0]:-}" ]; then
  echo "no test files found (${files[*]:-none})"
  exit 1
fi

pass=0 fail=0 skip=0 bats_rc=
while IFS= read -r line; do
  case $line in
    "# bats exit status "*) bats_rc=${line##* }; continue ;;
  esac
  printf '%s\n' "$line"
  case $line in
    "ok "*" # skip"*|"ok "*" # SKIP"*) skip=$((skip + 1)) ;;
    "ok "*) pass=$((pass + 1)) ;;
    "not ok "*) fail=$((fail + 1)) ;;
  esac
done < <(cd "$SKIFF_BUILDDIR" && bats --tap "${files[@]}" 2>&1; echo "# bats exit status $?")

echo "$pass passed, $fail failed, $skip skipped"
[ "$fail" -eq 0 ] || exit 1
if [ "$bats_rc" != 0 ]; then
  echo "bats exited with status ${bats_rc:-unknown}"
  exit 1
fi
exit 0
