/*
 * probe: a tiny static AF_ALG client for the vcrypto e2e test guest (libc only).
 *
 *   probe compare N SEED [-p PROCS] [-m MAXLEN] [-d DRIVER] [-r REFDRIVER] [-X K]
 *       N random AES-CBC cases per process (key 16/24/32 bytes, random IV, random length that is a multiple
 *       of 16 up to MAXLEN, default 65536), each encrypted and decrypted with DRIVER (default
 *       virtio_crypto_aes_cbc) and REFDRIVER (default cbc(aes-generic)); outputs compared byte for byte.
 *       Process i uses seed SEED + i. -X K flips a byte of DRIVER's ciphertext in every K-th case (a self-check
 *       that mismatches are detected).
 *       Prints "compare[i]: N cases, M mismatches, E errors, seed=S" per process and the total
 *       "compare: N cases, M mismatches, E errors, procs=P, driver=D, ref=R".
 *
 *   probe bench SIZE SECONDS [-p PROCS] [-d DRIVER] [-k KEYLEN]
 *       Encrypt requests of SIZE bytes on DRIVER for SECONDS, in PROCS processes started together.
 *       Prints "bench[i]: ..." per process and
 *       "bench: driver=D size=S procs=P ops=N seconds=T ops_per_sec=X errors=E".
 *
 * Exit status: 0 when every case matched (compare) or every request succeeded (bench), 1 otherwise,
 * 2 on usage errors or when the driver cannot be bound at all.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <linux/if_alg.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#ifndef SOL_ALG
#define SOL_ALG 279
#endif

#define MAX_PROCS 64
#define AES_BLOCK 16
#define MAX_DETAILS 5

static const char *DEFAULT_DRIVER = "virtio_crypto_aes_cbc";
static const char *DEFAULT_REF = "cbc(aes-generic)";

/* ------------------------------------------------------------------ output: one write() per line */

static void out(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void out(const char *fmt, ...)
{
    char buf[512];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf, sizeof buf - 1, fmt, ap);
    va_end(ap);
    if (n < 0)
        return;
    if ((size_t)n > sizeof buf - 2)
        n = sizeof buf - 2;
    buf[n++] = '\n';
    const char *p = buf;
    while (n > 0) {
        ssize_t w = write(STDOUT_FILENO, p, (size_t)n);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            return;
        }
        p += w;
        n -= (int)w;
    }
}

/* ------------------------------------------------------------------ deterministic PRNG (splitmix64) */

static uint64_t rng_state;

static uint64_t rng_next(void)
{
    uint64_t z = (rng_state += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static uint64_t rng_below(uint64_t n) { return rng_next() % n; }

static void rng_fill(uint8_t *p, size_t n)
{
    while (n >= 8) {
        uint64_t v = rng_next();
        memcpy(p, &v, 8);
        p += 8;
        n -= 8;
    }
    if (n) {
        uint64_t v = rng_next();
        memcpy(p, &v, n);
    }
}

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* ------------------------------------------------------------------ AF_ALG */

/* Bound transform socket for an skcipher driver (or algorithm) name; -errno on failure. */
static int alg_bind(const char *name)
{
    struct sockaddr_alg sa;
    memset(&sa, 0, sizeof sa);
    sa.salg_family = AF_ALG;
    strncpy((char *)sa.salg_type, "skcipher", sizeof sa.salg_type - 1);
    strncpy((char *)sa.salg_name, name, sizeof sa.salg_name - 1);
    int fd = socket(AF_ALG, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -errno;
    if (bind(fd, (struct sockaddr *)&sa, sizeof sa) < 0) {
        int e = errno;
        close(fd);
        return -e;
    }
    return fd;
}

/* Set the key on a bound transform and open an operation socket; -errno on failure. */
static int alg_open_op(int tfm, const uint8_t *key, size_t keylen)
{
    if (setsockopt(tfm, SOL_ALG, ALG_SET_KEY, key, (socklen_t)keylen) < 0)
        return -errno;
    int op = accept4(tfm, NULL, NULL, SOCK_CLOEXEC);
    return op < 0 ? -errno : op;
}

/* One cipher request: encrypt (enc=1) or decrypt len bytes of in into out. 0 or -errno. */
static int alg_crypt(int op, int enc, const uint8_t *iv, const uint8_t *in, uint8_t *outbuf, size_t len)
{
    union {
        char buf[CMSG_SPACE(sizeof(uint32_t)) + CMSG_SPACE(sizeof(struct af_alg_iv) + AES_BLOCK)];
        struct cmsghdr align;
    } control;
    memset(&control, 0, sizeof control);

    struct iovec iov = {.iov_base = (void *)in, .iov_len = len};
    struct msghdr msg;
    memset(&msg, 0, sizeof msg);
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    msg.msg_control = control.buf;
    msg.msg_controllen = sizeof control.buf;

    struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
    c->cmsg_level = SOL_ALG;
    c->cmsg_type = ALG_SET_OP;
    c->cmsg_len = CMSG_LEN(sizeof(uint32_t));
    uint32_t opv = enc ? ALG_OP_ENCRYPT : ALG_OP_DECRYPT;
    memcpy(CMSG_DATA(c), &opv, sizeof opv);

    c = CMSG_NXTHDR(&msg, c);
    c->cmsg_level = SOL_ALG;
    c->cmsg_type = ALG_SET_IV;
    c->cmsg_len = CMSG_LEN(sizeof(struct af_alg_iv) + AES_BLOCK);
    struct af_alg_iv *aiv = (struct af_alg_iv *)CMSG_DATA(c);
    aiv->ivlen = AES_BLOCK;
    memcpy(aiv->iv, iv, AES_BLOCK);

    ssize_t s = sendmsg(op, &msg, 0);
    if (s < 0)
        return -errno;
    if ((size_t)s != len)
        return -EMSGSIZE;

    size_t got = 0;
    while (got < len) {
        ssize_t r = read(op, outbuf + got, len - got);
        if (r < 0) {
            if (errno == EINTR)
                continue;
            return -errno;
        }
        if (r == 0)
            return -ENODATA;
        got += (size_t)r;
    }
    return 0;
}

/* ------------------------------------------------------------------ shared results, process fan-out */

struct result {
    long cases;
    long mismatches;
    long errors;
    long ops;
    double seconds;
    int bind_failed;
    int done;
};

static struct result *results;

typedef void (*worker_fn)(int index, struct result *res, void *arg);

/* Run fn in nproc child processes released together; returns 0 when every child exited normally. */
static int fan_out(int nproc, worker_fn fn, void *arg)
{
    results = mmap(NULL, sizeof(struct result) * MAX_PROCS, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS,
                   -1, 0);
    if (results == MAP_FAILED) {
        out("probe: mmap: %s", strerror(errno));
        return -1;
    }
    memset(results, 0, sizeof(struct result) * MAX_PROCS);
    if (nproc == 1) {
        fn(0, &results[0], arg);
        results[0].done = 1;
        return 0;
    }
    int gate[2];
    if (pipe(gate) < 0) {
        out("probe: pipe: %s", strerror(errno));
        return -1;
    }
    pid_t pids[MAX_PROCS];
    for (int i = 0; i < nproc; i++) {
        pid_t pid = fork();
        if (pid < 0) {
            out("probe: fork: %s", strerror(errno));
            nproc = i;
            break;
        }
        if (pid == 0) {
            char c;
            close(gate[1]);
            while (read(gate[0], &c, 1) < 0 && errno == EINTR)
                ;
            fn(i, &results[i], arg);
            results[i].done = 1;
            _exit(0);
        }
        pids[i] = pid;
    }
    close(gate[0]);
    close(gate[1]); /* releases every child at once */
    int bad = 0;
    for (int i = 0; i < nproc; i++) {
        int status;
        while (waitpid(pids[i], &status, 0) < 0 && errno == EINTR)
            ;
        if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
            out("probe: process %d ended abnormally (status 0x%x)", i, status);
            bad = 1;
        }
    }
    return bad ? -1 : 0;
}

/* ------------------------------------------------------------------ compare */

struct compare_args {
    long cases;
    uint64_t seed;
    size_t maxlen;
    const char *driver;
    const char *ref;
    long corrupt_every;
};

static size_t first_diff(const uint8_t *a, const uint8_t *b, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (a[i] != b[i])
            return i;
    return n;
}

/* The -X self-check: flip one byte of buf when asked to. */
static const uint8_t *maybe_corrupt(uint8_t *buf, size_t len, int flip)
{
    if (flip)
        buf[len / 2] ^= 0x01;
    return buf;
}

/* Random length, a multiple of 16: many small, a good share of one-page and multi-page buffers. */
static size_t random_len(size_t maxlen)
{
    size_t maxblocks = maxlen / AES_BLOCK;
    size_t cap;
    uint64_t r = rng_below(100);
    if (r < 40)
        cap = 32; /* up to 512 bytes */
    else if (r < 70)
        cap = 256; /* up to 4 KiB */
    else
        cap = maxblocks; /* up to maxlen: several pages */
    if (cap > maxblocks)
        cap = maxblocks;
    size_t blocks = 1 + (size_t)rng_below(cap);
    if (r >= 70 && rng_below(4) == 0)
        blocks = cap; /* hit the maximum exactly now and then */
    return blocks * AES_BLOCK;
}

static void compare_worker(int index, struct result *res, void *argp)
{
    const struct compare_args *a = argp;
    uint64_t seed = a->seed + (uint64_t)index;
    rng_state = seed;
    int tv = alg_bind(a->driver);
    int tr = alg_bind(a->ref);
    if (tv < 0 || tr < 0) {
        out("compare[%d]: cannot bind %s: %s", index, tv < 0 ? a->driver : a->ref,
            strerror(-(tv < 0 ? tv : tr)));
        res->bind_failed = 1;
        return;
    }
    uint8_t *pt = malloc(a->maxlen), *ct_v = malloc(a->maxlen), *ct_r = malloc(a->maxlen);
    uint8_t *pt_v = malloc(a->maxlen), *pt_r = malloc(a->maxlen);
    if (!pt || !ct_v || !ct_r || !pt_v || !pt_r) {
        out("compare[%d]: out of memory", index);
        res->bind_failed = 1;
        return;
    }
    static const size_t keylens[3] = {16, 24, 32};
    long per_keylen[3] = {0, 0, 0}, multipage = 0;
    size_t longest = 0;
    int details = 0;
    double t0 = now();
    for (long c = 0; c < a->cases; c++) {
        uint8_t key[32], iv[AES_BLOCK];
        unsigned ki = (unsigned)rng_below(3);
        size_t keylen = keylens[ki];
        size_t len = random_len(a->maxlen);
        per_keylen[ki]++;
        if (len > 2 * 4096)
            multipage++;
        if (len > longest)
            longest = len;
        rng_fill(key, keylen);
        rng_fill(iv, sizeof iv);
        rng_fill(pt, len);
        memset(ct_v, 0xa5, len);
        memset(pt_v, 0x5a, len);
        res->cases++;
        int flip = a->corrupt_every > 0 && c % a->corrupt_every == 0;

        /* One key per case and driver: for virtio that is one setkey = a new encrypt/decrypt session pair. */
        const char *what = NULL;
        int err = 0;
        size_t at = 0;
        int rc;
        int ov = -1, orf = -1;
        if ((orf = alg_open_op(tr, key, keylen)) < 0) {
            what = "ref-setkey";
            err = orf;
        } else if ((ov = alg_open_op(tv, key, keylen)) < 0) {
            what = "setkey";
            err = ov;
        } else if ((rc = alg_crypt(orf, 1, iv, pt, ct_r, len)) < 0) {
            what = "ref-encrypt";
            err = rc;
        } else if ((rc = alg_crypt(ov, 1, iv, pt, ct_v, len)) < 0) {
            what = "encrypt";
            err = rc;
        } else if ((at = first_diff(maybe_corrupt(ct_v, len, flip), ct_r, len)) != len) {
            what = "encrypt";
        } else if ((rc = alg_crypt(ov, 0, iv, ct_r, pt_v, len)) < 0) {
            what = "decrypt";
            err = rc;
        } else if ((at = first_diff(pt_v, pt, len)) != len) {
            what = "decrypt";
        } else if ((rc = alg_crypt(orf, 0, iv, ct_r, pt_r, len)) < 0) {
            what = "ref-decrypt";
            err = rc;
        } else if ((at = first_diff(pt_r, pt_v, len)) != len) {
            what = "decrypt-vs-ref";
        }
        if (ov >= 0)
            close(ov);
        if (orf >= 0)
            close(orf);
        if (what == NULL)
            continue;
        if (err)
            res->errors++;
        else
            res->mismatches++;
        if (details++ < MAX_DETAILS) {
            if (err)
                out("compare[%d]: error case=%ld op=%s keylen=%zu len=%zu: %s", index, c, what, keylen, len,
                    strerror(-err));
            else
                out("compare[%d]: mismatch case=%ld op=%s keylen=%zu len=%zu first_diff=%zu", index, c, what,
                    keylen, len, at);
        }
    }
    res->seconds = now() - t0;
    out("compare[%d]: coverage keylen16=%ld keylen24=%ld keylen32=%ld multipage=%ld longest=%zu", index,
        per_keylen[0], per_keylen[1], per_keylen[2], multipage, longest);
    out("compare[%d]: %ld cases, %ld mismatches, %ld errors, seed=%llu, seconds=%.2f", index, res->cases,
        res->mismatches, res->errors, (unsigned long long)seed, res->seconds);
    close(tv);
    close(tr);
}

/* ------------------------------------------------------------------ bench */

struct bench_args {
    size_t size;
    double seconds;
    const char *driver;
    size_t keylen;
};

static void bench_worker(int index, struct result *res, void *argp)
{
    const struct bench_args *a = argp;
    rng_state = 0x1234 + (uint64_t)index;
    int tfm = alg_bind(a->driver);
    if (tfm < 0) {
        out("bench[%d]: cannot bind %s: %s", index, a->driver, strerror(-tfm));
        res->bind_failed = 1;
        return;
    }
    uint8_t key[32], iv[AES_BLOCK];
    rng_fill(key, sizeof key);
    rng_fill(iv, sizeof iv);
    int op = alg_open_op(tfm, key, a->keylen);
    if (op < 0) {
        out("bench[%d]: setkey/accept on %s: %s", index, a->driver, strerror(-op));
        res->bind_failed = 1;
        close(tfm);
        return;
    }
    uint8_t *in = malloc(a->size), *o = malloc(a->size);
    if (!in || !o) {
        out("bench[%d]: out of memory", index);
        res->bind_failed = 1;
        return;
    }
    rng_fill(in, a->size);
    double t0 = now(), t;
    int last_err = 0;
    do {
        for (int k = 0; k < 8; k++) {
            int rc = alg_crypt(op, 1, iv, in, o, a->size);
            if (rc < 0) {
                res->errors++;
                last_err = rc;
            } else {
                res->ops++;
            }
        }
        t = now();
    } while (t - t0 < a->seconds && res->errors < 100);
    res->seconds = t - t0;
    if (last_err)
        out("bench[%d]: %ld errors, last: %s", index, res->errors, strerror(-last_err));
    out("bench[%d]: driver=%s size=%zu ops=%ld seconds=%.3f ops_per_sec=%.1f errors=%ld", index, a->driver,
        a->size, res->ops, res->seconds, res->seconds > 0 ? (double)res->ops / res->seconds : 0.0, res->errors);
    close(op);
    close(tfm);
}

/* ------------------------------------------------------------------ command line */

static int usage(void)
{
    out("usage: probe compare N SEED [-p PROCS] [-m MAXLEN] [-d DRIVER] [-r REFDRIVER] [-X K]");
    out("       probe bench SIZE SECONDS [-p PROCS] [-d DRIVER] [-k KEYLEN]");
    return 2;
}

int main(int argc, char **argv)
{
    if (argc < 2)
        return usage();
    const char *mode = argv[1];
    const char *pos[2] = {NULL, NULL};
    int npos = 0;
    long procs = 1, maxlen = 65536, keylen = 16, corrupt_every = 0;
    const char *driver = DEFAULT_DRIVER, *ref = DEFAULT_REF;
    for (int i = 2; i < argc; i++) {
        const char *s = argv[i];
        if (s[0] == '-' && s[1] != '\0' && s[2] == '\0') {
            if (i + 1 >= argc)
                return usage();
            const char *v = argv[++i];
            switch (s[1]) {
            case 'p': procs = strtol(v, NULL, 0); break;
            case 'm': maxlen = strtol(v, NULL, 0); break;
            case 'k': keylen = strtol(v, NULL, 0); break;
            case 'X': corrupt_every = strtol(v, NULL, 0); break;
            case 'd': driver = v; break;
            case 'r': ref = v; break;
            default: return usage();
            }
        } else if (npos < 2) {
            pos[npos++] = s;
        } else {
            return usage();
        }
    }
    if (npos != 2 || procs < 1 || procs > MAX_PROCS)
        return usage();

    if (strcmp(mode, "compare") == 0) {
        struct compare_args a = {
            .cases = strtol(pos[0], NULL, 0),
            .seed = strtoull(pos[1], NULL, 0),
            .maxlen = (size_t)maxlen,
            .driver = driver,
            .ref = ref,
            .corrupt_every = corrupt_every,
        };
        if (a.cases < 0 || maxlen < AES_BLOCK || maxlen % AES_BLOCK)
            return usage();
        double t0 = now();
        int fo = fan_out((int)procs, compare_worker, &a);
        long cases = 0, mism = 0, errs = 0;
        int failed = fo != 0;
        for (int i = 0; i < procs; i++) {
            cases += results[i].cases;
            mism += results[i].mismatches;
            errs += results[i].errors;
            if (results[i].bind_failed || !results[i].done)
                failed = 1;
        }
        out("compare: %ld cases, %ld mismatches, %ld errors, procs=%ld, driver=%s, ref=%s, seconds=%.2f%s", cases,
            mism, errs, procs, driver, ref, now() - t0, failed ? ", incomplete" : "");
        if (failed && cases == 0)
            return 2;
        return (failed || mism || errs) ? 1 : 0;
    }
    if (strcmp(mode, "bench") == 0) {
        struct bench_args a = {
            .size = (size_t)strtol(pos[0], NULL, 0),
            .seconds = strtod(pos[1], NULL),
            .driver = driver,
            .keylen = (size_t)keylen,
        };
        if (a.size < AES_BLOCK || a.size % AES_BLOCK || a.seconds <= 0 ||
            (keylen != 16 && keylen != 24 && keylen != 32))
            return usage();
        int fo = fan_out((int)procs, bench_worker, &a);
        long ops = 0, errs = 0;
        double rate = 0, secs = 0;
        int failed = fo != 0;
        for (int i = 0; i < procs; i++) {
            ops += results[i].ops;
            errs += results[i].errors;
            if (results[i].seconds > 0)
                rate += (double)results[i].ops / results[i].seconds;
            if (results[i].seconds > secs)
                secs = results[i].seconds;
            if (results[i].bind_failed || !results[i].done)
                failed = 1;
        }
        out("bench: driver=%s size=%zu procs=%ld ops=%ld seconds=%.3f ops_per_sec=%.1f errors=%ld%s", driver,
            a.size, procs, ops, secs, rate, errs, failed ? " incomplete" : "");
        if (failed && ops == 0)
            return 2;
        return (failed || errs || ops == 0) ? 1 : 0;
    }
    return usage();
}
