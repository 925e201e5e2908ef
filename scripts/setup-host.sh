#!/usr/bin/env bash
# Install the host tools the guest build and the e2e tests need (Debian 12).
#
# Idempotent and quiet when everything is present. Installs with apt-get (as root, or through sudo when
# it is available) only what is missing:
#   qemu-system-x86_64 (qemu-system-x86), cpio, gcc + static libc (gcc, libc6-dev), make, gzip, xz,
#   apt-get download / dpkg -x (apt, dpkg: always on Debian), python3 -m venv (python3-venv).
set -euo pipefail

need=()

have() { command -v "$1" >/dev/null 2>&1; }

have qemu-system-x86_64 || need+=(qemu-system-x86)
have cpio || need+=(cpio)
have gzip || need+=(gzip)
have xz || need+=(xz-utils)
have make || need+=(make)
have gcc || need+=(gcc)
# Static linking of guest/probe.c needs libc.a.
if ! [ -e /usr/lib/x86_64-linux-gnu/libc.a ] && ! [ -e /usr/lib64/libc.a ] && ! [ -e /usr/lib/libc.a ]; then
    need+=(libc6-dev)
fi
have dpkg || need+=(dpkg)
have apt-get || { echo "setup-host: apt-get not found: this script supports Debian 12 only" >&2; exit 1; }

# `python3 -m venv` needs ensurepip, which Debian ships in python3-venv (python3.11-venv) only. Importing it
# is a cheap stand-in for creating a venv (seconds); set SETUP_HOST_VENV_CHECK=full for the real thing.
if have python3; then
    if [ "${SETUP_HOST_VENV_CHECK:-}" = "full" ]; then
        venv_probe="$(mktemp -d)"
        python3 -m venv "$venv_probe/v" >/dev/null 2>&1 || need+=(python3-venv)
        rm -rf "$venv_probe"
    elif ! python3 -c 'import ensurepip, venv' >/dev/null 2>&1; then
        need+=(python3-venv)
    fi
else
    need+=(python3 python3-venv)
fi

if [ "${#need[@]}" -eq 0 ]; then
    exit 0
fi

if [ "$(id -u)" -eq 0 ]; then
    sudo=()
elif have sudo; then
    sudo=(sudo)
else
    echo "setup-host: missing ${need[*]} and not root (no sudo): install them as root" >&2
    exit 1
fi

echo "setup-host: installing ${need[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
"${sudo[@]}" apt-get update -qq
"${sudo[@]}" apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
