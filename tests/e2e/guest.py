"""Boot the e2e test guest (Debian 12 kernel + busybox + guest/probe) under QEMU and parse what it prints.

The guest is built by ``scripts/build-guest.sh`` into ``build/guest/``; its ``/init`` (``guest/init``)
loads the virtio_crypto driver, prints the virtio entries of ``/proc/crypto``, runs the commands given here
(passed base64-encoded on the kernel command line) and powers the VM off. Everything is read from the serial
console.

Commands the guest understands, besides any busybox command:

- ``probe compare N SEED [-p PROCS] [-m MAXLEN] [-d DRIVER] [-r REF]`` and
  ``probe bench SIZE SECONDS [-p PROCS] [-d DRIVER] [-k KEYLEN]`` (see ``guest/probe.c``);
- ``proc_crypto``: print the virtio blocks of ``/proc/crypto`` again;
- ``reload_virtio_crypto``: ``rmmod virtio_crypto``, ``insmod`` it again, wait for its self-test;
- ``wait_selftest SECONDS DRIVER``.

Usable from tests and from ``bench/bench_guest.py``; needs nothing outside the standard library.
"""

from __future__ import annotations

import base64
import contextlib
import os
import re
import shlex
import signal
import stat
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

REPO = Path(__file__).resolve().parents[2]
BUILD_SCRIPT = REPO / "scripts" / "build-guest.sh"
DEFAULT_BUILD_DIR = REPO / "build" / "guest"

VIRTIO_AES_CBC = "virtio_crypto_aes_cbc"
REFERENCE_AES_CBC = "cbc(aes-generic)"

# The x86 kernel command line holds 2048 bytes; leave room for the fixed parameters.
MAX_COMMANDS_B64 = 1800

Backend = Literal["builtin"] | str | os.PathLike[str]


# ---------------------------------------------------------------------------------------------- building


@dataclass(frozen=True)
class GuestImage:
    kernel: Path
    initrd: Path
    manifest: dict[str, str]


def build_guest(build_dir: Path = DEFAULT_BUILD_DIR) -> GuestImage:
    """Run ``scripts/build-guest.sh`` (cached: fast when nothing changed) and return the image paths."""
    env = dict(os.environ, GUEST_BUILD_DIR=str(build_dir))
    proc = subprocess.run(["bash", str(BUILD_SCRIPT)], env=env, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise RuntimeError(f"build-guest.sh failed ({proc.returncode}):\n{proc.stdout}\n{proc.stderr}")
    return load_guest(build_dir)


def load_guest(build_dir: Path = DEFAULT_BUILD_DIR) -> GuestImage:
    """The already built image (no build)."""
    # vmlinux (ELF, PVH entry: QEMU loads it directly) boots ~5 s faster under TCG than the bzImage.
    kernel = build_dir / "vmlinux"
    if not kernel.is_file():
        kernel = build_dir / "vmlinuz"
    initrd, manifest = build_dir / "initramfs.cpio.gz", build_dir / "manifest"
    for path in (kernel, initrd, manifest):
        if not path.is_file():
            raise FileNotFoundError(f"{path} is missing: run scripts/build-guest.sh (make guest)")
    entries = {}
    for line in manifest.read_text().splitlines():
        key, sep, value = line.partition("=")
        if sep:
            entries[key] = value
    return GuestImage(kernel=kernel, initrd=initrd, manifest=entries)


# ---------------------------------------------------------------------------------------------- commands


def compare_command(
    cases: int,
    seed: int,
    procs: int = 1,
    maxlen: int = 65536,
    driver: str = VIRTIO_AES_CBC,
    ref: str = REFERENCE_AES_CBC,
    corrupt_every: int = 0,
) -> str:
    """``probe compare``: ``cases`` random cases per process, process i seeded with ``seed + i``.

    ``corrupt_every=K`` makes the probe flip a byte of the driver's output in every K-th case (to check that
    mismatches are seen)."""
    command = (
        f"probe compare {cases} {seed} -p {procs} -m {maxlen} -d {shlex.quote(driver)} -r {shlex.quote(ref)}"
    )
    return f"{command} -X {corrupt_every}" if corrupt_every else command


def bench_command(size: int, seconds: float, procs: int = 1, driver: str = VIRTIO_AES_CBC) -> str:
    """``probe bench``: encrypt requests of ``size`` bytes for ``seconds`` in ``procs`` processes."""
    return f"probe bench {size} {seconds:g} -p {procs} -d {shlex.quote(driver)}"


def reload_commands(cases: int, seed: int, procs: int = 1, maxlen: int = 65536) -> list[str]:
    """Unload and reload virtio_crypto (device reset, re-init, self-test again), /proc/crypto, compare."""
    return ["reload_virtio_crypto", "proc_crypto", compare_command(cases, seed, procs, maxlen)]


def encode_commands(commands: Sequence[str]) -> str:
    for command in commands:
        if "\n" in command or "\r" in command:
            raise ValueError(f"a guest command must be one line: {command!r}")
    encoded = base64.b64encode(("\n".join(commands) + "\n").encode()).decode("ascii")
    if len(encoded) > MAX_COMMANDS_B64:
        raise ValueError(f"guest commands too long for the kernel command line ({len(encoded)} base64 bytes)")
    return encoded


# ---------------------------------------------------------------------------------------------- results


@dataclass
class CryptoAlg:
    """One block of /proc/crypto."""

    fields: dict[str, str]

    @property
    def name(self) -> str:
        return self.fields.get("name", "")

    @property
    def driver(self) -> str:
        return self.fields.get("driver", "")

    @property
    def selftest(self) -> str:
        return self.fields.get("selftest", "")

    @property
    def type(self) -> str:
        return self.fields.get("type", "")


@dataclass
class CompareProcess:
    index: int
    cases: int
    mismatches: int
    errors: int
    seed: int
    seconds: float
    coverage: dict[str, int] = field(default_factory=dict)


@dataclass
class CompareSummary:
    cases: int
    mismatches: int
    errors: int
    procs: int
    driver: str
    ref: str
    seconds: float
    incomplete: bool
    processes: list[CompareProcess] = field(default_factory=list)
    details: list[str] = field(default_factory=list)

    @property
    def clean(self) -> bool:
        return not self.incomplete and self.cases > 0 and self.mismatches == 0 and self.errors == 0

    def coverage_total(self, key: str) -> int:
        return sum(p.coverage.get(key, 0) for p in self.processes)


@dataclass
class BenchProcess:
    index: int
    ops: int
    seconds: float
    ops_per_sec: float
    errors: int


@dataclass
class BenchSummary:
    driver: str
    size: int
    procs: int
    ops: int
    seconds: float
    ops_per_sec: float
    errors: int
    incomplete: bool
    processes: list[BenchProcess] = field(default_factory=list)


@dataclass
class CommandResult:
    index: int
    command: str
    rc: int | None  # None when the command never finished (VM killed, guest hung)
    seconds: float | None
    output: list[str] = field(default_factory=list)
    proc_crypto: list[list[CryptoAlg]] = field(default_factory=list)
    compares: list[CompareSummary] = field(default_factory=list)
    benches: list[BenchSummary] = field(default_factory=list)


@dataclass
class GuestResult:
    log: str  # the whole serial console
    qemu_output: str  # QEMU's own stdout + stderr
    returncode: int | None
    timed_out: bool
    completed: bool  # "@@VC DONE" seen: every command ran
    wall_seconds: float  # QEMU start to QEMU exit
    ready_seconds: float | None  # QEMU start to "@@VC READY" (modules loaded, self-tests done)
    guest_uptime_ready: float | None
    modules: dict[str, str] = field(default_factory=dict)  # name -> "0" (insmod rc) or "builtin"
    boot_proc_crypto: list[CryptoAlg] = field(default_factory=list)
    commands: list[CommandResult] = field(default_factory=list)
    markers: list[str] = field(default_factory=list)

    def alg(self, driver: str, snapshot: list[CryptoAlg] | None = None) -> CryptoAlg | None:
        for alg in self.boot_proc_crypto if snapshot is None else snapshot:
            if alg.driver == driver:
                return alg
        return None

    def selftest(self, driver: str = VIRTIO_AES_CBC) -> str | None:
        """The self-test verdict of ``driver`` right after boot (None when not registered)."""
        alg = self.alg(driver)
        return alg.selftest if alg else None

    @property
    def compares(self) -> list[CompareSummary]:
        return [c for cmd in self.commands for c in cmd.compares]

    @property
    def benches(self) -> list[BenchSummary]:
        return [b for cmd in self.commands for b in cmd.benches]

    @property
    def proc_crypto_snapshots(self) -> list[list[CryptoAlg]]:
        return [self.boot_proc_crypto, *(s for cmd in self.commands for s in cmd.proc_crypto)]

    def command(self, prefix: str) -> CommandResult:
        for cmd in self.commands:
            if cmd.command.startswith(prefix):
                return cmd
        raise KeyError(prefix)

    def tail(self, lines: int = 80) -> str:
        return "\n".join(self.log.splitlines()[-lines:])

    def describe(self, lines: int = 80) -> str:
        """For assertion messages: status and the end of the console."""
        return (
            f"completed={self.completed} timed_out={self.timed_out} returncode={self.returncode} "
            f"wall={self.wall_seconds:.1f}s\n--- qemu ---\n{self.qemu_output.strip()}\n"
            f"--- serial (last {lines} lines) ---\n{self.tail(lines)}"
        )


_MARK = re.compile(r"@@VC (\S+)(?: (.*))?$")
_COMPARE_TOTAL = re.compile(
    r"^compare: (\d+) cases, (\d+) mismatches, (\d+) errors, procs=(\d+), driver=(.*?), ref=(.*?), "
    r"seconds=([\d.]+)(, incomplete)?$"
)
_COMPARE_PROC = re.compile(
    r"^compare\[(\d+)\]: (\d+) cases, (\d+) mismatches, (\d+) errors, seed=(\d+), seconds=([\d.]+)$"
)
_COMPARE_COVERAGE = re.compile(r"^compare\[(\d+)\]: coverage (.*)$")
_COMPARE_DETAIL = re.compile(r"^compare\[\d+\]: (mismatch|error|cannot) .*$")
_BENCH_TOTAL = re.compile(
    r"^bench: driver=(\S+) size=(\d+) procs=(\d+) ops=(\d+) seconds=([\d.]+) ops_per_sec=([\d.]+) "
    r"errors=(\d+)( incomplete)?$"
)
_BENCH_PROC = re.compile(
    r"^bench\[(\d+)\]: driver=\S+ size=\d+ ops=(\d+) seconds=([\d.]+) ops_per_sec=([\d.]+) errors=(\d+)$"
)
_KV = re.compile(r"(\w+)=(\S+)")


def parse_proc_crypto(lines: Sequence[str]) -> list[CryptoAlg]:
    algs: list[CryptoAlg] = []
    current: dict[str, str] = {}
    for line in [*lines, ""]:
        if not line.strip():
            if current:
                algs.append(CryptoAlg(current))
                current = {}
            continue
        key, sep, value = line.partition(":")
        if sep:
            current[key.strip()] = value.strip()
    return algs


def _parse_results(lines: Sequence[str], cmd: CommandResult) -> None:
    """compare/bench lines of one command's output."""
    procs_c: list[CompareProcess] = []
    coverage: dict[int, dict[str, int]] = {}
    details: list[str] = []
    procs_b: list[BenchProcess] = []
    for line in lines:
        if m := _COMPARE_PROC.match(line):
            i = int(m[1])
            procs_c.append(
                CompareProcess(
                    i, int(m[2]), int(m[3]), int(m[4]), int(m[5]), float(m[6]), coverage.get(i, {})
                )
            )
        elif m := _COMPARE_COVERAGE.match(line):
            coverage[int(m[1])] = {k: int(v) for k, v in _KV.findall(m[2])}
        elif _COMPARE_DETAIL.match(line):
            details.append(line)
        elif m := _COMPARE_TOTAL.match(line):
            cmd.compares.append(
                CompareSummary(
                    cases=int(m[1]),
                    mismatches=int(m[2]),
                    errors=int(m[3]),
                    procs=int(m[4]),
                    driver=m[5],
                    ref=m[6],
                    seconds=float(m[7]),
                    incomplete=bool(m[8]),
                    processes=procs_c,
                    details=details,
                )
            )
            procs_c, coverage, details = [], {}, []
        elif m := _BENCH_PROC.match(line):
            procs_b.append(BenchProcess(int(m[1]), int(m[2]), float(m[3]), float(m[4]), int(m[5])))
        elif m := _BENCH_TOTAL.match(line):
            cmd.benches.append(
                BenchSummary(
                    driver=m[1],
                    size=int(m[2]),
                    procs=int(m[3]),
                    ops=int(m[4]),
                    seconds=float(m[5]),
                    ops_per_sec=float(m[6]),
                    errors=int(m[7]),
                    incomplete=bool(m[8]),
                    processes=procs_b,
                )
            )
            procs_b = []


def parse_console(log: str, result: GuestResult) -> None:
    """Fill ``result`` from the serial console text."""
    cmd: CommandResult | None = None
    crypto_lines: list[str] | None = None
    for raw in log.splitlines():
        line = raw.rstrip("\r")
        m = _MARK.search(line)
        if m is None:
            if crypto_lines is not None:
                crypto_lines.append(line)
            elif cmd is not None and not line.startswith("["):
                cmd.output.append(line)
            continue
        tag, rest = m[1], m[2] or ""
        result.markers.append(f"{tag} {rest}".strip())
        if tag == "MODULE":
            kv = dict(_KV.findall(rest))
            result.modules[kv.get("name", "?")] = kv.get("rc", "?")
        elif tag == "BUILTIN":
            result.modules[dict(_KV.findall(rest)).get("name", "?")] = "builtin"
        elif tag == "PROC-CRYPTO-BEGIN":
            crypto_lines = []
        elif tag == "PROC-CRYPTO-END" and crypto_lines is not None:
            snapshot = parse_proc_crypto(crypto_lines)
            if cmd is not None:
                cmd.proc_crypto.append(snapshot)
            elif not result.boot_proc_crypto:
                result.boot_proc_crypto = snapshot
            crypto_lines = None
        elif tag == "READY":
            kv = dict(_KV.findall(rest))
            with contextlib.suppress(KeyError, ValueError):
                result.guest_uptime_ready = float(kv["uptime"])
        elif tag == "CMD-BEGIN":
            index, _, command = rest.partition(" ")
            cmd = CommandResult(index=int(index), command=command, rc=None, seconds=None)
            result.commands.append(cmd)
        elif tag == "CMD-END" and cmd is not None:
            kv = dict(_KV.findall(rest))
            cmd.rc = int(kv["rc"]) if "rc" in kv else None
            cmd.seconds = float(kv["seconds"]) if "seconds" in kv else None
            _parse_results(cmd.output, cmd)
            cmd = None
        elif tag == "DONE":
            result.completed = True
    if cmd is not None:  # unfinished: still parse what it printed
        _parse_results(cmd.output, cmd)


# ---------------------------------------------------------------------------------------------- booting


def qemu_command(
    image: GuestImage,
    backend: Backend,
    serial_path: Path,
    append: str,
    *,
    memory_mb: int = 512,
    smp: int = 2,
    queues: int = 1,
    qemu: str = "qemu-system-x86_64",
) -> list[str]:
    args = [
        qemu,
        "-machine", "q35,memory-backend=mem0",
        "-m", f"{memory_mb}M",
        "-object", f"memory-backend-memfd,id=mem0,size={memory_mb}M,share=on",
        "-cpu", "qemu64",
        "-accel", "tcg",
        "-smp", str(smp),
        "-nographic", "-nodefaults", "-no-user-config", "-no-reboot",
        "-serial", f"file:{serial_path}",
        "-kernel", str(image.kernel),
        "-initrd", str(image.initrd),
        "-append", append,
    ]  # fmt: skip
    if backend == "builtin":
        args += ["-object", "cryptodev-backend-builtin,id=cd0"]
    else:
        path = os.fspath(backend)
        if "," in path:
            raise ValueError(f"QEMU option values cannot hold ',': {path}")
        args += [
            "-chardev", f"socket,id=vc0,path={path}",
            "-object", f"cryptodev-vhost-user,id=cd0,chardev=vc0,queues={queues}",
        ]  # fmt: skip
    # vectors=0 (INTx, no MSI-X): Debian's QEMU 7.2 under TCG segfaults in cryptodev-vhost-user's start
    # when the guest enables MSI-X (a KVM-only irqfd path). Both backends get it, to stay comparable.
    args += ["-device", "virtio-crypto-pci,id=crypto0,cryptodev=cd0,vectors=0"]
    return args


def _stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is not None:
        return
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(timeout=5)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def boot_guest(
    commands: Sequence[str],
    backend: Backend = "builtin",
    timeout: float = 120.0,
    *,
    image: GuestImage | None = None,
    smp: int = 2,
    memory_mb: int = 512,
    queues: int = 1,
    selftest_wait: int = 15,
    extra_append: str = "",
    qemu: str = "qemu-system-x86_64",
    keep_log: Path | None = None,
) -> GuestResult:
    """Boot the guest once, run ``commands`` in it, and return what it printed, parsed.

    ``backend`` is ``"builtin"`` (QEMU's own cryptodev-backend-builtin) or the path of a vhost-user socket a
    backend already listens on. QEMU is killed after ``timeout`` seconds; the result then has
    ``timed_out=True`` and whatever the guest printed until then.
    """
    image = image or load_guest()
    append = (
        f"console=ttyS0 panic=-1 quiet loglevel=4 vcrypto_wait={selftest_wait} "
        f"vcrypto_cmds={encode_commands(commands)} {extra_append}"
    ).strip()
    with tempfile.TemporaryDirectory(prefix="vcrypto-guest-") as tmp:
        serial = Path(tmp) / "serial.log"
        qemu_log = Path(tmp) / "qemu.log"
        serial.touch()
        argv = qemu_command(
            image, backend, serial, append, memory_mb=memory_mb, smp=smp, queues=queues, qemu=qemu
        )
        start = time.monotonic()
        ready_at: float | None = None
        done_at: float | None = None
        timed_out = False
        with qemu_log.open("wb") as qout:
            proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=qout, stderr=subprocess.STDOUT)
            try:
                while proc.poll() is None:
                    now = time.monotonic()
                    if ready_at is None or done_at is None:
                        text = serial.read_bytes()
                        if ready_at is None and b"@@VC READY" in text:
                            ready_at = now - start
                        if done_at is None and b"@@VC DONE" in text:
                            done_at = now
                    if now - start > timeout:
                        timed_out = True
                        break
                    if done_at is not None and now - done_at > 15:  # poweroff did not end QEMU
                        break
                    time.sleep(0.05)
            finally:
                _stop(proc)
        wall = time.monotonic() - start
        log = serial.read_bytes().decode("utf-8", "replace")
        if ready_at is None and "@@VC READY" in log:
            ready_at = wall
        result = GuestResult(
            log=log,
            qemu_output=qemu_log.read_text(errors="replace"),
            returncode=proc.returncode,
            timed_out=timed_out,
            completed=False,
            wall_seconds=wall,
            ready_seconds=ready_at,
            guest_uptime_ready=None,
        )
        parse_console(log, result)
        if keep_log is not None:
            keep_log.write_text(log)
    return result


# ---------------------------------------------------------------------------------------------- vcrypto serve


def _is_socket(path: Path) -> bool:
    try:
        return stat.S_ISSOCK(path.stat().st_mode)
    except OSError:
        return False


def vcrypto_command() -> list[str]:
    """The ``vcrypto`` CLI: $VCRYPTO_CMD (shell words) or this interpreter's ``-m vcrypto.cli.main``."""
    custom = os.environ.get("VCRYPTO_CMD")
    if custom:
        return shlex.split(custom)
    return [sys.executable, "-m", "vcrypto.cli.main", "-v"]  # INFO log: failure context shows ring events


class VcryptoServer:
    """``vcrypto serve --socket-path PATH`` in a background process, for one or more VMs."""

    def __init__(
        self,
        socket_path: Path,
        queues: int = 1,
        log_path: Path | None = None,
        extra_args: Sequence[str] = (),
    ) -> None:
        self.socket_path = socket_path
        self.queues = queues
        self.log_path = log_path or socket_path.with_suffix(".log")
        self.extra_args = list(extra_args)
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self, timeout: float = 20.0) -> VcryptoServer:
        with contextlib.suppress(FileNotFoundError):
            self.socket_path.unlink()
        argv = [
            *vcrypto_command(),
            "serve",
            "--socket-path",
            str(self.socket_path),
            "--queues",
            str(self.queues),
        ]
        argv += self.extra_args
        env = dict(os.environ)
        src = str(REPO / "src")
        env["PYTHONPATH"] = src + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
        with self.log_path.open("wb") as log:
            self.proc = subprocess.Popen(
                argv,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                env=env,
                start_new_session=True,
            )
        deadline = time.monotonic() + timeout
        while not _is_socket(self.socket_path):
            if self.proc.poll() is not None:
                raise RuntimeError(
                    f"vcrypto serve exited with {self.proc.returncode} before listening:\n{self.log()}"
                )
            if time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(
                    f"vcrypto serve did not create {self.socket_path} in {timeout}s:\n{self.log()}"
                )
            time.sleep(0.05)
        # The socket file exists once bind() ran; give listen() a moment without connecting to it ourselves
        # (a probe connection would look like a QEMU to the backend).
        time.sleep(0.1)
        return self

    def _signal_group(self, sig: signal.Signals) -> None:
        assert self.proc is not None
        try:
            os.killpg(self.proc.pid, sig)
        except (ProcessLookupError, PermissionError):
            with contextlib.suppress(ProcessLookupError):
                self.proc.send_signal(sig)

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def log(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")
        except FileNotFoundError:
            return ""

    def stop(self) -> int | None:
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            # Its own process group (start_new_session): anything it started goes too.
            self._signal_group(signal.SIGTERM)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._signal_group(signal.SIGKILL)
                self.proc.wait()
        with contextlib.suppress(FileNotFoundError):
            self.socket_path.unlink()
        return self.proc.returncode

    def __enter__(self) -> VcryptoServer:
        return self.start() if self.proc is None else self

    def __exit__(self, *exc: object) -> None:
        self.stop()


@contextlib.contextmanager
def vcrypto_server(queues: int = 1, extra_args: Sequence[str] = ()) -> Iterator[VcryptoServer]:
    """A ``vcrypto serve`` on a fresh socket in a temporary directory (short: sun_path holds 108 bytes)."""
    with tempfile.TemporaryDirectory(prefix="vcs-") as tmp:
        server = VcryptoServer(Path(tmp) / "vcrypto.sock", queues=queues, extra_args=extra_args)
        with server:
            yield server
