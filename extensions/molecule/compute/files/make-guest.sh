#!/bin/sh
# Makes the scenario's guest from Debian packages only, in a container of our os image (as root, with the
# image's apt sources): /guest/vmlinuz, the kernel of linux-image-cloud-amd64, and /guest/initrd.img, an
# initramfs of busybox-static whose init prints the marker line to the serial console and then waits.
set -eu
marker=$1
cd /tmp
apt-get update -q >/dev/null
kernel=$(apt-cache depends linux-image-cloud-amd64 | awk '/Depends: linux-image-[0-9]/ {print $2; exit}')
apt-get download -q "$kernel" busybox-static >/dev/null
dpkg-deb -x linux-image-*.deb kernel
dpkg-deb -x busybox-static_*.deb busybox
mkdir -p root/bin root/dev root/proc root/sys
cp busybox/usr/bin/busybox root/bin/busybox
cat > root/init <<INIT
#!/bin/busybox sh
/bin/busybox mount -t devtmpfs devtmpfs /dev
echo "$marker" > /dev/ttyS0
exec /bin/busybox sleep 1000000
INIT
chmod 755 root/init
(cd root && find . | /tmp/root/bin/busybox cpio -o -H newc 2>/dev/null | gzip -9) > /guest/initrd.img
cp kernel/boot/vmlinuz-* /guest/vmlinuz
chmod 644 /guest/vmlinuz /guest/initrd.img
echo "$kernel"
