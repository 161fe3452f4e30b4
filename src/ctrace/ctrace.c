// SPDX-License-Identifier: MIT
/*
 * DOC: the Chrome trace writer
 *
 * Writes Chrome trace-event JSON, which Perfetto and chrome://tracing open.
 * The driver's and the model's events arrive through pantomime_trace_set();
 * the owner may add its own spans and counters (the stress job's GPU agents
 * and memory counters), or have the writer thread sample counters (the
 * shim). Every track ("vm12", "shrinker", "gpu-as3", "gpu-cs0",
 * "gpu agent c0") becomes a named thread of one process; a begin/end pair
 * becomes one complete ('X') event, matched on the emitting thread, so that
 * spans from several threads on one track do not mis-nest. Counters are 'C'
 * events of the process.
 *
 * The callback runs inside the driver, sometimes with its locks held and
 * while the model waits for the driver: it only formats the event into a
 * memory buffer under a mutex. Full buffers go to a writer thread, which
 * does the file I/O (and calls the sampler between them).
 *
 * Open spans are kept per emitting thread, in a small block the thread
 * allocates at its first 'B' (plain malloc: the callback may run where the
 * driver's allocator is fenced off). The blocks are on one list and all
 * freed at close; a thread notices a new trace by its generation number.
 * The rejected alternative, a static thread-local array, would cost every
 * thread of a program under the shim a kilobyte even when nothing traces.
 *
 * The file is locked with flock() while it is written: the shim of a second
 * process of the same `pantomime run` (a program that starts another one
 * that opens the device) finds it taken and does not interleave its events.
 */
#include "ctrace.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <time.h>
#include <unistd.h>

#include "pantomime/pantomime.h"

#define MAX_TRACKS 512
#define MAX_OPEN 8
#define BUF_SIZE (4u << 20)
#define MAX_EVENT 1024

struct tbuf {
	struct tbuf *next;
	size_t len;
	char data[BUF_SIZE];
};

/* Spans begun on one thread and not ended yet. */
struct open_spans {
	struct open_spans *next;	/* on tw.spans */
	unsigned int nr;
	struct open_span {
		char track[32];
		char name[32];
		uint64_t ts;
		unsigned int nargs;
		const char *arg_names[4];
		int64_t args[4];
	} s[MAX_OPEN];
};

static struct {
	pthread_mutex_t lock;
	pthread_cond_t cond;		/* CLOCK_MONOTONIC, set up by ctrace_open() */
	int fd;
	bool open;
	bool stop;
	int err;
	pthread_t writer;
	struct tbuf *cur;		/* being filled */
	struct tbuf *full, **full_tail;	/* waiting for the writer */
	uint64_t t0;
	bool first;
	unsigned int gen;		/* bumped by every open */
	struct open_spans *spans;	/* every thread's block of this trace */
	ctrace_sample_fn sample;
	void *cookie;
	uint64_t period_ns;
	unsigned int nr_tracks;
	char tracks[MAX_TRACKS][32];
} tw = { .lock = PTHREAD_MUTEX_INITIALIZER };

static __thread struct open_spans *my_spans;
static __thread unsigned int my_gen;

uint64_t ctrace_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* tw.lock held: append; a full buffer is queued for the writer. */
static void tw_printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void tw_printf(const char *fmt, ...)
{
	va_list ap;
	int n;

	if (!tw.cur)
		return;
	if (BUF_SIZE - tw.cur->len < MAX_EVENT) {
		struct tbuf *nb = malloc(sizeof(*nb));

		if (!nb) {
			tw.err = -ENOMEM;
			return;
		}
		nb->next = NULL;
		nb->len = 0;
		*tw.full_tail = tw.cur;
		tw.full_tail = &tw.cur->next;
		tw.cur = nb;
		pthread_cond_signal(&tw.cond);
	}
	va_start(ap, fmt);
	n = vsnprintf(tw.cur->data + tw.cur->len, BUF_SIZE - tw.cur->len, fmt, ap);
	va_end(ap);
	if (n > 0)
		tw.cur->len += (size_t)n < BUF_SIZE - tw.cur->len ? (size_t)n : 0;
}

/*
 * Write @b out and free it. Return: 0 or -errno. A plain write(), no stdio:
 * a child the traced program forks and that ends with exit() has no stdio
 * buffer of ours to flush into the shared file.
 */
static int write_all(struct tbuf *b)
{
	size_t done = 0;
	int err = 0;

	while (done < b->len) {
		ssize_t n = write(tw.fd, b->data + done, b->len - done);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			err = n < 0 ? -errno : -EIO;
			break;
		}
		done += (size_t)n;
	}
	free(b);
	return err;
}

static void *writer_main(void *arg)
{
	uint64_t next_sample = tw.sample ? ctrace_now_ns() : UINT64_MAX;
	int err;

	pthread_mutex_lock(&tw.lock);
	for (;;) {
		struct tbuf *b = tw.full;

		if (!b) {
			uint64_t now;

			if (tw.stop)
				break;
			now = ctrace_now_ns();
			if (now >= next_sample) {
				pthread_mutex_unlock(&tw.lock);
				tw.sample(tw.cookie, now);
				pthread_mutex_lock(&tw.lock);
				next_sample = now + tw.period_ns;
				continue;
			}
			if (next_sample == UINT64_MAX) {
				pthread_cond_wait(&tw.cond, &tw.lock);
			} else {
				struct timespec ts = {
					.tv_sec = (time_t)(next_sample / 1000000000ull),
					.tv_nsec = (long)(next_sample % 1000000000ull),
				};

				pthread_cond_timedwait(&tw.cond, &tw.lock, &ts);
			}
			continue;
		}
		tw.full = b->next;
		if (!tw.full)
			tw.full_tail = &tw.full;
		pthread_mutex_unlock(&tw.lock);
		err = write_all(b);
		pthread_mutex_lock(&tw.lock);
		if (err && !tw.err)
			tw.err = err;
	}
	pthread_mutex_unlock(&tw.lock);
	return NULL;
}

/* tw.lock held. Return: the tid of @track (1-based), declaring it on first use. */
static unsigned int track_tid(const char *track)
{
	unsigned int i;

	for (i = 0; i < tw.nr_tracks; i++)
		if (!strcmp(tw.tracks[i], track))
			return i + 1;
	if (tw.nr_tracks == MAX_TRACKS)
		return MAX_TRACKS;
	snprintf(tw.tracks[i], sizeof(tw.tracks[i]), "%s", track);
	tw.nr_tracks++;
	tw_printf("%s{\"name\":\"thread_name\",\"ph\":\"M\",\"pid\":1,\"tid\":%u,"
		"\"args\":{\"name\":\"%s\"}}", tw.first ? "" : ",\n", i + 1, tw.tracks[i]);
	tw.first = false;
	return i + 1;
}

static double us(uint64_t ts)
{
	return ts > tw.t0 ? (double)(ts - tw.t0) / 1e3 : 0;
}

static void put_args(unsigned int n, const char *const *names, const int64_t *vals,
		     unsigned int n2, const char *const *names2, const int64_t *vals2)
{
	tw_printf(",\"args\":{");
	for (unsigned int i = 0; i < n; i++)
		tw_printf("%s\"%s\":%" PRId64, i ? "," : "", names[i], vals[i]);
	for (unsigned int i = 0; i < n2; i++)
		tw_printf("%s\"%s\":%" PRId64, i + n ? "," : "", names2[i], vals2[i]);
	tw_printf("}}");
}

/* Return: the calling thread's open spans of the current trace, or NULL (no memory, closed). */
static struct open_spans *thread_spans(bool create)
{
	unsigned int gen = __atomic_load_n(&tw.gen, __ATOMIC_ACQUIRE);
	struct open_spans *os;

	if (my_spans && my_gen == gen)
		return my_spans;
	my_spans = NULL;	/* a block of an earlier trace was freed by its close */
	if (!create)
		return NULL;
	os = calloc(1, sizeof(*os));
	if (!os)
		return NULL;
	pthread_mutex_lock(&tw.lock);
	if (!tw.open || tw.gen != gen) {
		pthread_mutex_unlock(&tw.lock);
		free(os);
		return NULL;
	}
	os->next = tw.spans;
	tw.spans = os;
	pthread_mutex_unlock(&tw.lock);
	my_spans = os;
	my_gen = gen;
	return os;
}

static void on_event(void *cookie, const struct pantomime_trace_event *ev)
{
	struct open_spans *os;
	unsigned int tid;

	if (ev->phase == 'B') {
		struct open_span *o;

		os = thread_spans(true);
		if (!os || os->nr == MAX_OPEN)
			return;
		o = &os->s[os->nr++];
		snprintf(o->track, sizeof(o->track), "%s", ev->track);
		snprintf(o->name, sizeof(o->name), "%s", ev->name);
		o->ts = ev->ts_ns;
		o->nargs = ev->nargs;
		for (unsigned int i = 0; i < ev->nargs; i++) {
			o->arg_names[i] = ev->arg_names[i];	/* string literals */
			o->args[i] = ev->args[i];
		}
		return;
	}
	if (ev->phase == 'E') {
		unsigned int k;

		os = thread_spans(false);
		if (!os)
			return;
		k = os->nr;
		while (k && strcmp(os->s[k - 1].track, ev->track))
			k--;
		if (!k)
			return;
		struct open_span o = os->s[k - 1];

		memmove(&os->s[k - 1], &os->s[k], (os->nr - k) * sizeof(o));
		os->nr--;
		pthread_mutex_lock(&tw.lock);
		if (tw.open) {
			tid = track_tid(o.track);
			tw_printf(",\n{\"name\":\"%s\",\"cat\":\"%s\",\"ph\":\"X\",\"ts\":%.3f,"
				"\"dur\":%.3f,\"pid\":1,\"tid\":%u", o.name, ev->category, us(o.ts),
				(double)(ev->ts_ns - o.ts) / 1e3, tid);
			put_args(o.nargs, o.arg_names, o.args, ev->nargs, ev->arg_names, ev->args);
		}
		pthread_mutex_unlock(&tw.lock);
		return;
	}
	pthread_mutex_lock(&tw.lock);
	if (tw.open) {
		tid = track_tid(ev->track);
		tw_printf(",\n{\"name\":\"%s\",\"cat\":\"%s\",\"ph\":\"i\",\"s\":\"t\",\"ts\":%.3f,"
			"\"pid\":1,\"tid\":%u", ev->name, ev->category, us(ev->ts_ns), tid);
		put_args(ev->nargs, ev->arg_names, ev->args, 0, NULL, NULL);
	}
	pthread_mutex_unlock(&tw.lock);
}

/* Open @path for writing under an exclusive flock, then truncate it. Return: the fd or -errno. */
static int open_locked(const char *path)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0666), err;

	if (fd < 0)
		return -errno;
	if (flock(fd, LOCK_EX | LOCK_NB)) {
		err = errno == EWOULDBLOCK ? -EBUSY : -errno;
		goto err_close;
	}
	if (ftruncate(fd, 0)) {
		err = -errno;
		goto err_close;
	}
	return fd;

err_close:
	close(fd);
	return err;
}

int ctrace_open(const char *path, ctrace_sample_fn sample, void *cookie, uint64_t period_ns)
{
	pthread_condattr_t ca;
	int ret, fd;

	if (__atomic_load_n(&tw.open, __ATOMIC_ACQUIRE))
		return -EBUSY;
	fd = open_locked(path);
	if (fd < 0)
		return fd;
	pthread_mutex_lock(&tw.lock);
	tw.cur = malloc(sizeof(*tw.cur));
	if (!tw.cur) {
		ret = -ENOMEM;
		goto err_unlock;
	}
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	ret = -pthread_cond_init(&tw.cond, &ca);
	pthread_condattr_destroy(&ca);
	if (ret)
		goto err_free;
	tw.cur->next = NULL;
	tw.cur->len = 0;
	tw.full = NULL;
	tw.full_tail = &tw.full;
	tw.fd = fd;
	tw.err = 0;
	tw.stop = false;
	tw.t0 = ctrace_now_ns();
	tw.nr_tracks = 0;
	tw.sample = sample;
	tw.cookie = cookie;
	tw.period_ns = period_ns ? period_ns : 100000000ull;
	tw_printf("{\"displayTimeUnit\":\"ms\",\"traceEvents\":[\n");
	tw_printf("{\"name\":\"process_name\",\"ph\":\"M\",\"pid\":1,\"tid\":0,"
		  "\"args\":{\"name\":\"pantomime\"}}");
	tw.first = false;
	ret = -pthread_create(&tw.writer, NULL, writer_main, NULL);
	if (ret)
		goto err_cond;
	__atomic_store_n(&tw.gen, tw.gen + 1, __ATOMIC_RELEASE);
	__atomic_store_n(&tw.open, true, __ATOMIC_RELEASE);
	pthread_mutex_unlock(&tw.lock);
	pantomime_trace_set(on_event, NULL);
	return 0;

err_cond:
	pthread_cond_destroy(&tw.cond);
err_free:
	free(tw.cur);
	tw.cur = NULL;
err_unlock:
	pthread_mutex_unlock(&tw.lock);
	close(fd);
	return ret;
}

bool ctrace_active(void)
{
	return __atomic_load_n(&tw.open, __ATOMIC_ACQUIRE);
}

void ctrace_span(const char *track, const char *name, uint64_t t0_ns, uint64_t t1_ns,
		 const char *arg, int64_t val)
{
	pthread_mutex_lock(&tw.lock);
	if (tw.open) {
		unsigned int tid = track_tid(track);

		tw_printf(",\n{\"name\":\"%s\",\"cat\":\"gpu\",\"ph\":\"X\",\"ts\":%.3f,"
			"\"dur\":%.3f,\"pid\":1,\"tid\":%u,\"args\":{\"%s\":%" PRId64 "}}", name,
			us(t0_ns), (double)(t1_ns - t0_ns) / 1e3, tid, arg, val);
	}
	pthread_mutex_unlock(&tw.lock);
}

void ctrace_counter(const char *name, uint64_t ts_ns, double val)
{
	pthread_mutex_lock(&tw.lock);
	if (tw.open)
		tw_printf(",\n{\"name\":\"%s\",\"cat\":\"mem\",\"ph\":\"C\",\"ts\":%.3f,\"pid\":1,"
			"\"args\":{\"value\":%.3f}}", name, us(ts_ns), val);
	pthread_mutex_unlock(&tw.lock);
}

int ctrace_close(void)
{
	struct open_spans *os;
	int err;

	if (!__atomic_load_n(&tw.open, __ATOMIC_ACQUIRE))
		return 0;
	pantomime_trace_set(NULL, NULL);
	pthread_mutex_lock(&tw.lock);
	tw.stop = true;
	pthread_cond_signal(&tw.cond);
	pthread_mutex_unlock(&tw.lock);
	pthread_join(tw.writer, NULL);
	/* The writer is gone: the last sample from here, then the last buffer. */
	if (tw.sample)
		tw.sample(tw.cookie, ctrace_now_ns());
	pthread_mutex_lock(&tw.lock);
	tw_printf("\n]}\n");
	*tw.full_tail = tw.cur;
	tw.cur = NULL;
	tw.open = false;
	__atomic_store_n(&tw.gen, tw.gen + 1, __ATOMIC_RELEASE);	/* the blocks go now */
	while ((os = tw.spans)) {
		tw.spans = os->next;
		free(os);
	}
	pthread_mutex_unlock(&tw.lock);
	err = tw.err;
	while (tw.full) {
		struct tbuf *b = tw.full;
		int werr;

		tw.full = b->next;
		werr = write_all(b);
		if (werr && !err)
			err = werr;
	}
	pthread_cond_destroy(&tw.cond);
	if (close(tw.fd) && !err)
		err = -errno;
	tw.fd = -1;
	return err;
}
