#!/bin/bash
# Run one command as root inside a throw-away QEMU (TCG) VM that boots a
# Debian kernel with cgroup v2 only (cgroup_no_v1=all), every controller
# enabled in the root cgroup.  The guest sees the host's / read-only
# through 9p with a tmpfs overlay on top; -w DIR shares DIR read-write.
#
#   tests/vm/vm-run.sh [-c CPUS] [-m MIB] [-t SECS] [-d MIB] [-w DIR]... [--] CMD [ARGS...]
#
# -d MIB adds a sparse, empty virtio-blk disk of that size (/dev/vda in the
# guest, thrown away after the run) for tests that need a block device.
# stdout/stderr of CMD come back on virtio-serial ports; the exit status
# of CMD is ours (124: timeout, 125: the VM failed).  Needs root.  Missing
# Debian packages are installed with apt-get.  The kernel is extracted and
# the initramfs built once, cached in $VM_CACHE (~/.cache/skiff-vm).
set -euo pipefail

cpus=1 mem=1024 tmo=${VM_TIMEOUT:-600} disk=
shares=()
while getopts "c:m:t:d:w:h" o; do
  case $o in
    d) disk=$OPTARG ;;
    c) cpus=$OPTARG ;;
    m) mem=$OPTARG ;;
    t) tmo=$OPTARG ;;
    w) shares+=("$(realpath "$OPTARG")") ;;
    *) sed -n '2,16p' "$0"; exit 2 ;;
  esac
done
shift $((OPTIND - 1))
[ $# -gt 0 ] || { sed -n '2,16p' "$0"; exit 2; }
[ "$(id -u)" = 0 ] || { echo "vm-run: must run as root" >&2; exit 125; }

cache=${VM_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/skiff-vm}
mkdir -p "$cache"

need_pkgs() {
  local missing=()
  command -v qemu-system-x86_64 >/dev/null || missing+=(qemu-system-x86)
  [ -x /bin/busybox ] && ! ldd /bin/busybox >/dev/null 2>&1 || missing+=(busybox-static)
  command -v modprobe >/dev/null || missing+=(kmod)
  command -v cpio >/dev/null || missing+=(cpio)
  command -v xz >/dev/null || missing+=(xz-utils)
  ls /boot/vmlinuz-* >/dev/null 2>&1 || missing+=(linux-image-amd64)
  if [ ${#missing[@]} -gt 0 ]; then
    echo "vm-run: installing ${missing[*]}" >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y "${missing[@]}" >&2 ||
      { apt-get update >&2 && DEBIAN_FRONTEND=noninteractive apt-get install -y "${missing[@]}" >&2; }
  fi
}
need_pkgs

# 1. The newest installed kernel that has its modules.
kver=
for bz in $(ls -v /boot/vmlinuz-* 2>/dev/null); do
  v=${bz#/boot/vmlinuz-}
  [ -f /lib/modules/$v/modules.dep ] && kver=$v
done
[ -n "$kver" ] || { echo "vm-run: no /boot/vmlinuz-* with modules" >&2; exit 125; }
bz=/boot/vmlinuz-$kver

# Extract the ELF vmlinux from the bzImage once: QEMU boots it through PVH,
# which saves the ~3 s of in-guest decompression under TCG.
u8() { od -An -tu1 -j "$2" -N1 "$1" | tr -d ' '; }
u32() { od -An -tu4 -j "$2" -N4 "$1" | tr -d ' '; }
stamp=$(stat -c %Y "$bz")
kernel=$cache/vmlinux-$kver-$stamp
if [ ! -s "$kernel" ]; then
  sects=$(u8 "$bz" $((0x1f1))); [ "$sects" = 0 ] && sects=4
  poff=$(u32 "$bz" $((0x248))); plen=$(u32 "$bz" $((0x24c)))
  start=$(((sects + 1) * 512 + poff))
  magic=$(od -An -tx1 -j "$start" -N4 "$bz" | tr -d ' ')
  case $magic in
    fd377a58) dec="xz -dc --single-stream" ;;
    28b52ffd) dec="zstd -dc" ;;
    1f8b*) dec="gzip -dc" ;;
    *) dec= ;;
  esac
  if [ -n "$dec" ]; then
    # The decompressor may stop before dd is done: ignore the pipe status.
    (dd if="$bz" iflag=skip_bytes,count_bytes skip="$start" count="$plen" status=none |
      $dec >"$kernel.tmp" 2>/dev/null) || true
  fi
  if [ -s "$kernel.tmp" ] && [ "$(head -c4 "$kernel.tmp" | od -An -c | tr -d ' ')" = '177ELF' ]; then
    mv "$kernel.tmp" "$kernel"
  else
    rm -f "$kernel.tmp"
    echo "vm-run: could not extract vmlinux, booting the bzImage (slower)" >&2
    kernel=$bz
  fi
fi

# 2. The initramfs: busybox, the modules for 9p/overlay/virtio-serial, /init.
here=$(cd "$(dirname "$0")" && pwd)
# virtio_blk costs nothing without a disk: always load it.  The module
# list is part of the cache key, so changing it rebuilds the initramfs.
modules="virtio_pci 9pnet_virtio 9p overlay virtio_console virtio_blk"
init_hash=$( (cat "$here/vm-init.sh"; echo "$modules") | sha256sum | cut -c1-16)
initrd=$cache/initramfs-$kver-$init_hash.cpio
if [ ! -s "$initrd" ]; then
  work=$(mktemp -d)
  trap 'rm -rf "$work"' EXIT
  mkdir -p "$work"/{bin,dev,proc,sys,mnt/lower,mnt/rw,newroot,lib/modules}
  cp /bin/busybox "$work/bin/busybox"
  cp "$here/vm-init.sh" "$work/init"
  chmod 755 "$work/init"
  : >"$work/modules.order"
  for m in $modules; do
    modprobe -S "$kver" --show-depends "$m" 2>/dev/null | awk '$1 == "insmod" {print $2}'
  done | awk '!seen[$0]++' | while read -r ko; do
    base=$(basename "$ko"); base=${base%.xz}; base=${base%.zst}
    case $ko in
      *.xz) xz -dc "$ko" >"$work/lib/modules/$base" ;;
      *.zst) zstd -dc "$ko" >"$work/lib/modules/$base" ;;
      *) cp "$ko" "$work/lib/modules/$base" ;;
    esac
    echo "$base" >>"$work/modules.order"
  done
  (cd "$work" && find . -print0 | sort -z | cpio --null -o -H newc --quiet) >"$initrd.tmp"
  mv "$initrd.tmp" "$initrd"
  rm -rf "$work"
  trap - EXIT
fi

# 3. The control share: stage 2 script, argv, env, cwd.
T=$(mktemp -d /tmp/vm-run.XXXXXX)
qpid= opid= epid=
cleanup() {
  [ -n "$qpid" ] && kill "$qpid" 2>/dev/null
  [ -n "$opid" ] && kill "$opid" 2>/dev/null
  [ -n "$epid" ] && kill "$epid" 2>/dev/null
  rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
mkdir "$T/share"
# VM_SYSTEMD=1: systemd is PID 1 and runs the command as a service.
if [ "${VM_SYSTEMD:-0}" = 1 ]; then
  cp "$here/vm-stage2-systemd.sh" "$T/share/stage2.sh"
  cp "$here/vm-stage2.sh" "$T/share/run-cmd.sh"
else
  cp "$here/vm-stage2.sh" "$T/share/stage2.sh"
fi
printf '%s\0' "$@" >"$T/share/argv"
env -0 >"$T/share/env"
printf '%s\0' "$PWD" >"$T/share/cwd"
umask >"$T/share/umask"
# The guest's /tmp is a tmpfs unless the command works under the host's /tmp.
tmpfs=${VM_TMP_TMPFS:-}
if [ -z "$tmpfs" ]; then
  tmpfs=1
  case $PWD in /tmp/*) tmpfs=0 ;; esac
  for a in "$@"; do case $a in /tmp/*) [ -e "$a" ] && tmpfs=0 ;; esac; done
fi
echo "$tmpfs" >"$T/share/tmpfs"
: >"$T/share/shares"
for i in "${!shares[@]}"; do printf 'rw%s %s\n' "$i" "${shares[$i]}" >>"$T/share/shares"; done

mkfifo "$T/out.fifo" "$T/err.fifo"
cat "$T/out.fifo" &
opid=$!
cat "$T/err.fifo" >&2 &
epid=$!

accel=${VM_ACCEL:-tcg}
[ "$cpus" -gt 1 ] && [ "$accel" = tcg ] && accel=tcg,thread=single
extra=()
for i in "${!shares[@]}"; do
  extra+=(-fsdev "local,id=rw$i,path=${shares[$i]},security_model=none,multidevs=remap"
    -device "virtio-9p-pci,fsdev=rw$i,mount_tag=rw$i")
done
if [ -n "$disk" ]; then
  # Sparse: costs no host disk space until the guest writes to it.
  truncate -s "${disk}M" "$T/disk.img"
  extra+=(-drive "file=$T/disk.img,if=none,format=raw,id=d0,cache=unsafe"
    -device virtio-blk-pci,drive=d0)
fi
timeout --foreground -k 10 "$tmo" qemu-system-x86_64 -nodefaults -no-user-config -display none \
  -no-reboot -machine q35 -accel "$accel" -cpu max -m "$mem" -smp "$cpus" \
  -kernel "$kernel" -initrd "$initrd" \
  -append "console=ttyS0 panic=-1 quiet loglevel=4 cgroup_no_v1=all mitigations=off ${VM_APPEND:-}" \
  -serial "file:$T/console.log" \
  -fsdev local,id=hostroot,path=/,readonly=on,security_model=none,multidevs=remap \
  -device virtio-9p-pci,fsdev=hostroot,mount_tag=hostroot \
  -fsdev "local,id=vmctl,path=$T/share,security_model=none,multidevs=remap" \
  -device virtio-9p-pci,fsdev=vmctl,mount_tag=vmctl \
  -device virtio-serial-pci \
  -chardev "file,id=out,path=$T/out.fifo" -device virtserialport,chardev=out,name=stdout \
  -chardev "file,id=err,path=$T/err.fifo" -device virtserialport,chardev=err,name=stderr \
  "${extra[@]}" </dev/null 2>"$T/qemu.err" &
qpid=$!
qrc=0
wait "$qpid" || qrc=$?
qpid=
# Release readers that never saw a writer (QEMU died early).
: 1<>"$T/out.fifo" 1<>"$T/err.fifo"
wait "$opid" "$epid" 2>/dev/null || true
opid= epid=
if [ -f "$T/share/rc" ]; then
  exit "$(cat "$T/share/rc")"
fi
echo "vm-run: the VM ended without a result (qemu status $qrc)" >&2
tail -n 30 "$T/console.log" >&2 2>/dev/null || true
cat "$T/qemu.err" >&2 2>/dev/null || true
[ "$qrc" = 124 ] && exit 124
exit 125
