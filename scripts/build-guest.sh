#!/usr/bin/env bash
# Build the e2e test guest into build/guest/ (or $GUEST_BUILD_DIR):
#
#   vmlinuz               Debian 12's generic kernel (the package linux-image-amd64 depends on)
#   vmlinux               the same kernel uncompressed (ELF with a PVH entry): boots ~5 s faster under TCG
#   initramfs.cpio.gz     busybox-static + guest/init + guest/probe (static) + the virtio/AF_ALG modules
#   manifest              kernel release, package names, modules loaded at boot and which ones are built in
#
# Cached: the .debs are downloaded only when build/guest/debs has none; each later step reruns only when one
# of its inputs is newer than its output. A rerun with nothing changed takes well under a second.
#
# Environment: GUEST_BUILD_DIR (output dir), GUEST_KERNEL_PKG (force a kernel package name).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
OUT="${GUEST_BUILD_DIR:-$ROOT/build/guest}"
DEBS="$OUT/debs"
GUEST_SRC="$ROOT/guest"

# The modules the test needs, in load order (dependencies are added automatically, built-ins skipped).
WANTED_MODULES=(virtio_ring virtio virtio_pci_modern_dev virtio_pci_legacy_dev virtio_pci
    crypto_engine virtio_crypto af_alg algif_skcipher)

log() { echo "build-guest: $*" >&2; }
die() { echo "build-guest: error: $*" >&2; exit 1; }

# Tools first: on a fresh machine setup-host.sh installs what is missing (no-op and silent otherwise).
for tool in qemu-system-x86_64 cpio gcc gzip xz dpkg; do
    if ! command -v "$tool" >/dev/null 2>&1; then
        bash "$ROOT/scripts/setup-host.sh"
        break
    fi
done

mkdir -p "$OUT" "$DEBS"

# --- 1. the .debs -------------------------------------------------------------------------------------
# Find a generic (not -cloud, not -rt) kernel image .deb already downloaded ($1: only this package).
find_kernel_deb() {
    local f base
    for f in "$DEBS"/linux-image-*-amd64_*.deb; do
        [ -e "$f" ] || continue
        base="$(basename "$f")"
        if [[ "$base" =~ ^linux-image-[0-9]+\.[0-9]+\.[0-9]+-[0-9]+-amd64_ ]] && [[ "$base" == "${1:-}"* ]]; then
            echo "$f"
        fi
    done | sort -V | tail -n 1
}

resolve_kernel_pkg() {
    apt-cache depends linux-image-amd64 2>/dev/null |
        awk '$1 == "Depends:" && $2 ~ /^linux-image-[0-9.]+-[0-9]+-amd64$/ { print $2; exit }'
}

apt_download() {
    (cd "$DEBS" && apt-get download -q -o APT::Sandbox::User=root "$@" >/dev/null)
}

apt_update_if_root() {
    if [ "$(id -u)" -eq 0 ]; then
        apt-get update -qq
    elif command -v sudo >/dev/null 2>&1; then
        sudo apt-get update -qq
    fi
}

kernel_deb="$(find_kernel_deb "${GUEST_KERNEL_PKG:+${GUEST_KERNEL_PKG}_}")"
if [ -z "$kernel_deb" ]; then
    pkg="${GUEST_KERNEL_PKG:-$(resolve_kernel_pkg)}"
    if [ -z "$pkg" ]; then
        apt_update_if_root
        pkg="$(resolve_kernel_pkg)"
    fi
    [ -n "$pkg" ] || die "cannot resolve the package linux-image-amd64 depends on (apt-cache depends)"
    log "downloading $pkg"
    apt_download "$pkg" || { apt_update_if_root; apt_download "$pkg"; }
    kernel_deb="$(find_kernel_deb "${pkg}_")"
    [ -n "$kernel_deb" ] || die "download of $pkg gave no .deb in $DEBS"
fi

busybox_deb="$(find "$DEBS" -maxdepth 1 -name 'busybox-static_*_amd64.deb' | sort -V | tail -n 1)"
if [ -z "$busybox_deb" ]; then
    log "downloading busybox-static"
    apt_download busybox-static || { apt_update_if_root; apt_download busybox-static; }
    busybox_deb="$(find "$DEBS" -maxdepth 1 -name 'busybox-static_*_amd64.deb' | sort -V | tail -n 1)"
    [ -n "$busybox_deb" ] || die "download of busybox-static gave no .deb in $DEBS"
fi

# --- 2. kernel: keep vmlinuz, config, modules.builtin and the modules we load ---------------------------
KDIR="$OUT/kernel"
kstamp="$KDIR/.stamp"
want_stamp="$(basename "$kernel_deb") ${WANTED_MODULES[*]}"
if ! [ -f "$kstamp" ] || [ "$(cat "$kstamp")" != "$want_stamp" ] || [ "$kernel_deb" -nt "$kstamp" ]; then
    log "unpacking $(basename "$kernel_deb")"
    rm -rf "$KDIR" "$OUT/kernel.tmp"
    mkdir -p "$OUT/kernel.tmp"
    dpkg -x "$kernel_deb" "$OUT/kernel.tmp"
    kver="$(basename "$(find "$OUT/kernel.tmp/lib/modules" -mindepth 1 -maxdepth 1 -type d | head -n 1)")"
    [ -n "$kver" ] || die "no lib/modules/<release> in $kernel_deb"
    src="$OUT/kernel.tmp/lib/modules/$kver"
    mkdir -p "$KDIR/modules"
    cp "$OUT/kernel.tmp/boot/vmlinuz-$kver" "$OUT/vmlinuz"
    cp "$OUT/kernel.tmp/boot/config-$kver" "$KDIR/config"
    cp "$src/modules.builtin" "$KDIR/modules.builtin"
    echo "$kver" >"$KDIR/release"

    # Resolve each wanted module: built in (skip), or a .ko whose dependencies (from its .modinfo
    # "depends=" string) are loaded first.
    declare -A seen=()
    load_order=()
    builtin=()
    module_path() { find "$src/kernel" -name "$1.ko" -print -quit; }
    is_builtin() { grep -qE "/$1\.ko$" "$src/modules.builtin"; }
    visit() {
        local name="$1" path deps dep
        [ -z "${seen[$name]:-}" ] || return 0
        seen[$name]=1
        if is_builtin "$name"; then
            builtin+=("$name")
            return 0
        fi
        path="$(module_path "$name")"
        [ -n "$path" ] || die "module $name is neither built in nor shipped in $kver"
        deps="$(tr '\0' '\n' <"$path" | sed -n 's/^depends=//p' | head -n 1)"
        for dep in ${deps//,/ }; do
            visit "${dep//-/_}"
        done
        cp "$path" "$KDIR/modules/$name.ko"
        load_order+=("$name")
    }
    for m in "${WANTED_MODULES[@]}"; do
        visit "$m"
    done
    printf '%s\n' "${load_order[@]}" >"$KDIR/modules.load"
    : >"$KDIR/modules.builtin-wanted"
    if [ "${#builtin[@]}" -gt 0 ]; then
        printf '%s\n' "${builtin[@]}" >"$KDIR/modules.builtin-wanted"
    fi
    rm -rf "$OUT/kernel.tmp"
    echo "$want_stamp" >"$kstamp"
fi
kver="$(cat "$KDIR/release")"

# --- 3. busybox ---------------------------------------------------------------------------------------
BB="$OUT/busybox"
if ! [ -x "$BB" ] || [ "$busybox_deb" -nt "$BB" ]; then
    log "unpacking $(basename "$busybox_deb")"
    rm -rf "$OUT/busybox.tmp"
    dpkg -x "$busybox_deb" "$OUT/busybox.tmp"
    cp "$OUT/busybox.tmp/bin/busybox" "$BB"
    rm -rf "$OUT/busybox.tmp"
    touch "$BB"
fi

# --- 4. the probe -------------------------------------------------------------------------------------
PROBE="$OUT/probe"
if ! [ -x "$PROBE" ] || [ "$GUEST_SRC/probe.c" -nt "$PROBE" ]; then
    log "compiling guest/probe.c"
    gcc -static -O2 -Wall -Wextra -Werror -std=gnu11 -o "$PROBE.tmp" "$GUEST_SRC/probe.c"
    mv "$PROBE.tmp" "$PROBE"
fi

# --- 5. the initramfs ---------------------------------------------------------------------------------
INITRD="$OUT/initramfs.cpio.gz"
inputs=("$GUEST_SRC/init" "$PROBE" "$BB" "$kstamp" "${BASH_SOURCE[0]}")
while IFS= read -r -d '' f; do inputs+=("$f"); done < <(find "$GUEST_SRC/scripts" -type f -print0 2>/dev/null)
rebuild=0
[ -f "$INITRD" ] || rebuild=1
for f in "${inputs[@]}"; do
    if [ "$f" -nt "$INITRD" ]; then rebuild=1; fi
done
if [ "$rebuild" -eq 1 ]; then
    log "assembling initramfs"
    R="$OUT/initramfs.tmp"
    rm -rf "$R"
    mkdir -p "$R"/{bin,sbin,usr/bin,usr/sbin,dev,proc,sys,tmp,root,etc/vcrypto/scripts,lib/modules/vcrypto}
    cp "$BB" "$R/bin/busybox"
    ln -s busybox "$R/bin/sh"
    install -m 0755 "$GUEST_SRC/init" "$R/init"
    install -m 0755 "$PROBE" "$R/bin/probe"
    cp "$KDIR"/modules/*.ko "$R/lib/modules/vcrypto/"
    cp "$KDIR/modules.load" "$R/etc/vcrypto/modules.load"
    cp "$KDIR/modules.builtin-wanted" "$R/etc/vcrypto/modules.builtin"
    echo "$kver" >"$R/etc/vcrypto/release"
    if [ -d "$GUEST_SRC/scripts" ]; then
        cp "$GUEST_SRC"/scripts/* "$R/etc/vcrypto/scripts/" 2>/dev/null || true
    fi
    # No device nodes in the archive (no mknod needed to build it): init mounts devtmpfs first and then
    # reopens its stdio on /dev/console.
    (cd "$R" && find . -mindepth 1 | LC_ALL=C sort | cpio --quiet -o -H newc -R 0:0) >"$OUT/initramfs.cpio"
    gzip -6 -n -c "$OUT/initramfs.cpio" >"$INITRD.tmp"
    mv "$INITRD.tmp" "$INITRD"
    rm -rf "$R" "$OUT/initramfs.cpio"
fi

# --- 6. vmlinux: the uncompressed ELF image, booted through its PVH entry --------------------------------
# QEMU then loads the kernel directly: no real-mode setup and no in-guest decompression, which under TCG
# saves ~5 s a boot. Extracted from the bzImage's payload (boot protocol header fields); when that fails
# the harness boots vmlinuz instead.
[ -f "$OUT/vmlinuz" ] || die "$OUT/vmlinuz is missing: remove $KDIR and rerun"
le32() { od -An -tu4 -j "$2" -N4 "$1" | tr -d ' '; }
extract_vmlinux() {
    local img="$1" dst="$2" setup_sects off len start magic
    [ "$(dd if="$img" bs=1 skip=$((0x202)) count=4 status=none)" = "HdrS" ] || return 1
    setup_sects="$(od -An -tu1 -j $((0x1f1)) -N1 "$img" | tr -d ' ')"
    [ "$setup_sects" -ne 0 ] || setup_sects=4
    off="$(le32 "$img" $((0x248)))"
    len="$(le32 "$img" $((0x24c)))"
    start=$(((setup_sects + 1) * 512 + off))
    magic="$(od -An -tx1 -j "$start" -N6 "$img" | tr -d ' \n')"
    case "$magic" in
        fd377a585a00) tail -c +$((start + 1)) "$img" | head -c "$len" | xz -dc --single-stream >"$dst" ;;
        1f8b*) tail -c +$((start + 1)) "$img" | head -c "$len" | gzip -dc >"$dst" 2>/dev/null || true ;;
        *) return 1 ;;
    esac
    [ "$(od -An -tx1 -N4 "$dst" | tr -d ' \n')" = "7f454c46" ]
}
if ! [ -f "$OUT/vmlinux" ] || [ "$OUT/vmlinuz" -nt "$OUT/vmlinux" ]; then
    if command -v xz >/dev/null 2>&1 && extract_vmlinux "$OUT/vmlinuz" "$OUT/vmlinux.tmp"; then
        mv "$OUT/vmlinux.tmp" "$OUT/vmlinux"
    else
        rm -f "$OUT/vmlinux.tmp" "$OUT/vmlinux"
        log "warning: could not extract vmlinux from vmlinuz; the guest boots the bzImage (slower)"
    fi
fi

# --- 7. manifest -------------------------------------------------------------------------------------
{
    echo "kernel_release=$kver"
    echo "kernel_deb=$(basename "$kernel_deb")"
    echo "busybox_deb=$(basename "$busybox_deb")"
    if [ -f "$OUT/vmlinux" ]; then echo "kernel_image=vmlinux"; else echo "kernel_image=vmlinuz"; fi
    echo "modules_loaded=$(tr '\n' ' ' <"$KDIR/modules.load" | sed 's/ $//')"
    echo "modules_builtin=$(tr '\n' ' ' <"$KDIR/modules.builtin-wanted" | sed 's/ $//')"
} >"$OUT/manifest.tmp"
if ! cmp -s "$OUT/manifest.tmp" "$OUT/manifest" 2>/dev/null; then
    mv "$OUT/manifest.tmp" "$OUT/manifest"
else
    rm -f "$OUT/manifest.tmp"
fi
