#!/bin/sh
# Install skiff's build dependencies (and, with --tests, what the test suite
# uses) from Debian/Ubuntu packages.  Safe to run again.
set -eu
pkgs="build-essential autoconf automake libtool pkg-config python3
      libyajl-dev libseccomp-dev libcap-dev libselinux1-dev libcriterion-dev
      busybox-static jq"
pkgs="$pkgs libssl-dev libarchive-dev zlib1g-dev"
pkgs="$pkgs libcurl4-openssl-dev"
# The systemd cgroup driver (optional: configure finds it or goes without).
pkgs="$pkgs libsystemd-dev"
if [ "${1:-}" = --tests ]; then
  pkgs="$pkgs bats iproute2 bsdutils time util-linux python3 podman conmon containerd
        qemu-system-x86 linux-image-amd64 kmod cpio xz-utils clang
        apparmor selinux-policy-default systemd dbus"
  pkgs="$pkgs skopeo umoci zstd"
  pkgs="$pkgs criu"
  pkgs="$pkgs docker-registry apache2-utils openssl python3-cryptography"
fi
missing=
for p in $pkgs; do
  dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q '^install ok installed' || missing="$missing $p"
done
if [ -n "$missing" ]; then
  sudo=; [ "$(id -u)" = 0 ] || sudo=sudo
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends $missing
fi
