#!/bin/busybox sh
# Stage 1 of tests/vm/vm-run.sh: PID 1 in the initramfs.  Builds the
# guest's root (host / over 9p, read-only, with a tmpfs overlay), mounts
# cgroup2 with every controller enabled, then hands over to stage 2.
/bin/busybox --install -s /bin
export PATH=/bin

fail() {
  echo "VM-INIT-FAILED: $*" >/dev/console
  echo o >/proc/sysrq-trigger
  sleep 30
}

mount -t proc proc /proc || fail proc
mount -t sysfs sysfs /sys || fail sysfs
mount -t devtmpfs devtmpfs /dev || fail devtmpfs
while read -r m; do
  [ -n "$m" ] && { insmod "/lib/modules/$m" || fail "insmod $m"; }
done </modules.order

mount -t 9p -o trans=virtio,version=9p2000.L,msize=512000,ro,cache=loose hostroot /mnt/lower ||
  fail "mount hostroot"
mount -t tmpfs -o mode=755 tmpfs /mnt/rw || fail "tmpfs rw"
mkdir -p /mnt/rw/upper /mnt/rw/work
mount -t overlay -o lowerdir=/mnt/lower,upperdir=/mnt/rw/upper,workdir=/mnt/rw/work overlay /newroot ||
  fail overlay
mount -t tmpfs -o mode=755 tmpfs /newroot/run || fail "tmpfs run"
mkdir -p /newroot/run/vm-run
mount -t 9p -o trans=virtio,version=9p2000.L,msize=512000,rw,cache=none vmctl /newroot/run/vm-run ||
  fail "mount vmctl"
mount --move /proc /newroot/proc
mount --move /sys /newroot/sys
mount --move /dev /newroot/dev
mkdir -p /newroot/dev/pts /newroot/dev/shm /newroot/dev/mqueue
mount -t devpts -o newinstance,ptmxmode=0666 devpts /newroot/dev/pts
ln -sf pts/ptmx /newroot/dev/ptmx 2>/dev/null
mount -t tmpfs -o mode=1777 tmpfs /newroot/dev/shm
mount -t mqueue mqueue /newroot/dev/mqueue
ln -sf /proc/self/fd /newroot/dev/fd
ln -sf /proc/self/fd/0 /newroot/dev/stdin
ln -sf /proc/self/fd/1 /newroot/dev/stdout
ln -sf /proc/self/fd/2 /newroot/dev/stderr

mount -t cgroup2 -o nsdelegate,memory_recursiveprot cgroup2 /newroot/sys/fs/cgroup || fail cgroup2
for c in $(cat /newroot/sys/fs/cgroup/cgroup.controllers); do
  echo "+$c" >/newroot/sys/fs/cgroup/cgroup.subtree_control
done

[ "$(cat /newroot/run/vm-run/tmpfs)" = 1 ] && mount -t tmpfs -o mode=1777 tmpfs /newroot/tmp
while read -r tag path; do
  [ -n "$tag" ] || continue
  mount -t 9p -o trans=virtio,version=9p2000.L,msize=512000,rw,cache=none "$tag" "/newroot$path" ||
    fail "mount $tag on $path"
done </newroot/run/vm-run/shares

hostname skiff-vm
ip link set lo up 2>/dev/null
exec switch_root /newroot /bin/bash /run/vm-run/stage2.sh
fail switch_root
