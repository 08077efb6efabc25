#!/usr/bin/env bash
# Run skiff's integration tests (bats) as `make check` does:
#   SKIFF=... SKIFF_TEST_HELPER=... SKIFF_SRCDIR=... SKIFF_BUILDDIR=... run.sh
# SKIFF_TESTS="lifecycle exec" (names or paths) selects some files,
# SKIFF_TESTS_FILTER=REGEX the tests whose names match (bats --filter).
# Prints the TAP stream, then one summary line `N passed, N failed, N skipped`;
# exits 77 (automake's SKIP) when not root, 1 when a test failed or a tool
# is missing.
set -u

here=$(cd "$(dirname "$0")" && pwd)
SKIFF_SRCDIR=${SKIFF_SRCDIR:-$(cd "$here/../.." && pwd)}
SKIFF_BUILDDIR=${SKIFF_BUILDDIR:-$PWD}
SKIFF=${SKIFF:-$SKIFF_BUILDDIR/skiff}
SKIFF_TEST_HELPER=${SKIFF_TEST_HELPER:-$SKIFF_BUILDDIR/tests/helper/skiff-test-helper}
export SKIFF SKIFF_TEST_HELPER SKIFF_SRCDIR SKIFF_BUILDDIR

if [ "$(id -u)" != 0 ]; then
  echo "integration tests need root: skipped"
  exit 77
fi

missing=
command -v bats >/dev/null 2>&1 || missing="$missing bats"
command -v jq >/dev/null 2>&1 || missing="$missing jq"
command -v findmnt >/dev/null 2>&1 || missing="$missing util-linux"
bb_static=
for bb in /bin/busybox /usr/bin/busybox; do
  if [ -x "$bb" ] && [[ "$(LC_ALL=C ldd "$bb" 2>&1)" == *"not a dynamic executable"* ]]; then
    bb_static=$bb
    break
  fi
done
[ -n "$bb_static" ] || missing="$missing busybox-static"
if [ -n "$missing" ]; then
  echo "integration tests need the Debian packages:$missing"
  echo "install them with: apt-get install -y$missing   (or contrib/install-deps.sh --tests)"
  exit 1
fi
for f in "$SKIFF" "$SKIFF_TEST_HELPER"; do
  if [ ! -x "$f" ]; then
    echo "missing $f: build it first (make && make check builds the test helper)"
    exit 1
  fi
done

files=()
if [ -n "${SKIFF_TESTS:-}" ]; then
  for t in $SKIFF_TESTS; do
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

# One rootfs template for the whole run; each test copies it.
work=$(mktemp -d /tmp/skiff-run.XXXXXX)
trap 'rm -rf --one-file-system "$work"' EXIT
export SKIFF_TEST_TEMPLATE=$work/template
export BUSYBOX=$bb_static

# Count from the TAP stream while passing it through (bats prints skipped
# tests as `ok N desc # skip REASON`).
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
done < <(cd "$SKIFF_BUILDDIR" && bats --tap ${SKIFF_TESTS_FILTER:+--filter "$SKIFF_TESTS_FILTER"} \
  "${files[@]}" 2>&1; echo "# bats exit status $?")

echo "$pass passed, $fail failed, $skip skipped"
[ "$fail" -eq 0 ] || exit 1
# bats failing without a `not ok` line (a syntax error in a .bats file...)
# fails the run too.
if [ "$bats_rc" != 0 ]; then
  echo "bats exited with status ${bats_rc:-unknown}"
  exit 1
fi
exit 0
