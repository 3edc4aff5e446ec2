#!/bin/busybox sh
# /init of the initramfs `bpfsubskel vm` boots (busybox-static and a few modules).
# It loads the modules, mounts the host's / (virtio-9p, read-only) under a tmpfs
# overlay, and runs the host-written script named by bpfsubskel_run= (kernel command
# line) as root in it: stdout, stderr and the exit status go out on the virtio-serial
# ports named out, err and status. Then it reboots, which ends QEMU (-no-reboot).
/bin/busybox --install -s /bin
export PATH=/bin

say() { echo "bpfsubskel-vm: $*" > /dev/console; }
die() { say "$*"; reboot -f; }

mount -t devtmpfs dev /dev
mount -t proc proc /proc
mount -t sysfs sys /sys
while read -r module; do
    insmod "/lib/modules/$module" || die "cannot load the module $module"
done < /modules
for port in /sys/class/virtio-ports/*; do
    [ -e "$port/name" ] && ln -s "/dev/${port##*/}" "/dev/port-$(cat "$port/name")"
done
[ -e /dev/port-status ] || die "no virtio-serial port named status (virtio_console missing?)"
echo booted > /dev/port-status

mkdir -p /host /rw /root
mount -t 9p -o trans=virtio,version=9p2000.L,ro,msize=512000 hostroot /host ||
    die "cannot mount the host's / over virtio-9p"
mount -t tmpfs -o mode=0755 rw /rw
mkdir -p /rw/upper /rw/work
mount -t overlay overlay -o lowerdir=/host,upperdir=/rw/upper,workdir=/rw/work /root ||
    die "cannot mount the overlay over the host's /"
mount -t proc proc /root/proc
mount -t sysfs sys /root/sys
mount -t devtmpfs dev /root/dev
mkdir -p /root/dev/pts /root/dev/shm
mount -t devpts devpts /root/dev/pts
mount -t tmpfs shm /root/dev/shm
mount -t tmpfs run /root/run
mount -t bpf bpf /root/sys/fs/bpf 2>/dev/null
mount -t debugfs debugfs /root/sys/kernel/debug 2>/dev/null
mount -t tracefs tracefs /root/sys/kernel/tracing 2>/dev/null
mount -t cgroup2 cgroup2 /root/sys/fs/cgroup 2>/dev/null
ip link set lo up 2>/dev/null

chroot /root /bin/sh "$bpfsubskel_run" < /dev/null > /dev/port-out 2> /dev/port-err
echo "exit $?" > /dev/port-status
sync
reboot -f
