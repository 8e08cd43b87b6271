#!/usr/bin/env bash
# Import composegen-smoke:local, the only image the smoke stack uses: Debian's busybox-static in
# an otherwise empty root filesystem, with every busybox applet linked in /bin. No registry needed.
#
# Usage: examples/smoke/make-image.sh [--force]
#   Talks to the engine DOCKER_HOST names (scripts/engine up starts one). Does nothing when the
#   image is already there and was made from the same busybox by this version of the script.
#   Needs busybox-static (`apt-get install -y busybox-static`): a dynamically linked busybox
#   would not run in an empty root filesystem.
set -euo pipefail

IMAGE=${COMPOSEGEN_SMOKE_IMAGE:-composegen-smoke:local}
RECIPE=3   # bump when the root filesystem below changes

busybox=""
for candidate in "${BUSYBOX:-}" /bin/busybox /usr/bin/busybox; do
  if [ -n "$candidate" ] && [ -x "$candidate" ]; then busybox=$candidate; break; fi
done
if [ -z "$busybox" ]; then
  echo "make-image.sh: no busybox found: apt-get install -y busybox-static" >&2
  exit 1
fi
if LC_ALL=C ldd "$busybox" >/dev/null 2>&1; then
  echo "make-image.sh: $busybox is dynamically linked: apt-get install -y busybox-static" >&2
  exit 1
fi

digest=$(sha256sum "$busybox" | cut -c1-16)
stamp="$RECIPE-$digest"
if [ "${1:-}" != "--force" ] &&
  [ "$(docker image inspect -f '{{index .Config.Labels "composegen.smoke.recipe"}}' "$IMAGE" 2>/dev/null)" = "$stamp" ]; then
  echo "make-image.sh: $IMAGE is up to date ($stamp)" >&2
  exit 0
fi

rootfs=$(mktemp -d)
trap 'rm -rf "$rootfs"' EXIT
mkdir -p "$rootfs/bin" "$rootfs/etc" "$rootfs/tmp" "$rootfs/data" "$rootfs/www" "$rootfs/root"
chmod 755 "$rootfs"
chmod 1777 "$rootfs/tmp"
cp "$busybox" "$rootfs/bin/busybox"
# every applet busybox has (sh, sleep, dd, head, cat, free, wget, nc, httpd, mkdir, rm, echo, true, test, ...)
for applet in $("$busybox" --list); do
  [ "$applet" = busybox ] || ln -s busybox "$rootfs/bin/$applet"
done
printf 'root:x:0:0:root:/root:/bin/sh\napp:x:1000:1000:app:/tmp:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n' \
  >"$rootfs/etc/passwd"
printf 'root:x:0:\napp:x:1000:\nnogroup:x:65534:\n' >"$rootfs/etc/group"
echo 'hosts: files dns' >"$rootfs/etc/nsswitch.conf"

tar --numeric-owner --owner=0 --group=0 -C "$rootfs" -c . |
  docker import \
    --change 'ENV PATH=/bin' \
    --change 'CMD ["sh"]' \
    --change "LABEL composegen.smoke.recipe=$stamp" \
    --message "composegen smoke image: busybox-static $stamp" \
    - "$IMAGE" >/dev/null
echo "make-image.sh: imported $IMAGE ($stamp)" >&2
