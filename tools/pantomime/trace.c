// SPDX-License-Identifier: MIT
/*
 * DOC: the trace writer
 *
 * --trace FILE writes Chrome trace-event JSON, which Perfetto and
 * chrome://tracing open. The driver's events arrive through
 * pantomime_trace_set(); the command adds its own (GPU agent jobs, the
 * memory counters). Every track ("vm12", "shrinker", "gpu-as3",
 * "gpu agent c0") becomes a named thread of one process; a begin/end pair
 * becomes one complete ('X') event, matched on the emitting thread, so
 * that spans from several threads on one track do not mis-nest. Counters
 * are 'C' events of the process.
 *
 * The callback runs inside the driver, sometimes with its locks held and
 * while the model waits for the driver: it only formats the event into a
 * memory buffer under a mutex. Full buffers go to a writer thread, which
 * does the file I/O.
 */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "pm.h"

#define MAX_TRACKS 512
#define MAX_OPEN 8
#define BUF_SIZE (4u << 20)
#define MAX_EVENT 1024

struct tbuf {
	struct tbuf *next;
	size_t len;
	char data[BUF_SIZE];
};

static struct {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	FILE *f;
	bool open;
	bool stop;
	int err;
	pthread_t writer;
	struct tbuf *cur;		/* being filled */
	struct tbuf *full, **full_tail;	/* waiting for the writer */
	uint64_t t0;
	bool first;
	unsigned int nr_tracks;
	char tracks[MAX_TRACKS][32];
} tw = { .lock = PTHREAD_MUTEX_INITIALIZER, .cond = PTHREAD_COND_INITIALIZER };

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

static void *writer_main(void *arg)
{
	pthread_mutex_lock(&tw.lock);
	for (;;) {
		struct tbuf *b = tw.full;

		if (!b) {
			if (tw.stop)
				break;
			pthread_cond_wait(&tw.cond, &tw.lock);
			continue;
		}
		tw.full = b->next;
		if (!tw.full)
			tw.full_tail = &tw.full;
		pthread_mutex_unlock(&tw.lock);
		if (fwrite(b->data, 1, b->len, tw.f) != b->len && !tw.err)
			tw.err = -EIO;
		free(b);
		pthread_mutex_lock(&tw.lock);
	}
	pthread_mutex_unlock(&tw.lock);
	return NULL;
}

/* Spans begun on this thread and not ended yet. */
static __thread struct open_span {
	char track[32];
	char name[32];
	uint64_t ts;
	unsigned int nargs;
	const char *arg_names[4];
	int64_t args[4];
} open_spans[MAX_OPEN];
static __thread unsigned int nr_open;

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

static void on_event(void *cookie, const struct pantomime_trace_event *ev)
{
	unsigned int tid;

	if (ev->phase == 'B') {
		struct open_span *o;

		if (nr_open == MAX_OPEN)
			return;
		o = &open_spans[nr_open++];
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
		unsigned int k = nr_open;

		while (k && strcmp(open_spans[k - 1].track, ev->track))
			k--;
		if (!k)
			return;
		struct open_span o = open_spans[k - 1];

		memmove(&open_spans[k - 1], &open_spans[k], (nr_open - k) * sizeof(o));
		nr_open--;
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

int pm_trace_open(const char *path)
{
	FILE *f = fopen(path, "w");

	if (!f)
		return -errno;
	pthread_mutex_lock(&tw.lock);
	tw.cur = malloc(sizeof(*tw.cur));
	if (!tw.cur) {
		pthread_mutex_unlock(&tw.lock);
		fclose(f);
		return -ENOMEM;
	}
	tw.cur->next = NULL;
	tw.cur->len = 0;
	tw.full = NULL;
	tw.full_tail = &tw.full;
	tw.f = f;
	tw.err = 0;
	tw.stop = false;
	tw.t0 = pm_now_ns();
	tw.nr_tracks = 0;
	tw_printf("{\"displayTimeUnit\":\"ms\",\"traceEvents\":[\n");
	tw_printf("{\"name\":\"process_name\",\"ph\":\"M\",\"pid\":1,\"tid\":0,"
		  "\"args\":{\"name\":\"pantomime\"}}");
	tw.first = false;
	if (pthread_create(&tw.writer, NULL, writer_main, NULL)) {
		free(tw.cur);
		tw.cur = NULL;
		pthread_mutex_unlock(&tw.lock);
		fclose(f);
		return -EAGAIN;
	}
	__atomic_store_n(&tw.open, true, __ATOMIC_RELEASE);
	pthread_mutex_unlock(&tw.lock);
	pantomime_trace_set(on_event, NULL);
	return 0;
}

bool pm_trace_active(void)
{
	return __atomic_load_n(&tw.open, __ATOMIC_ACQUIRE);
}

void pm_trace_span(const char *track, const char *name, uint64_t t0_ns, uint64_t t1_ns,
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

void pm_trace_counter(const char *name, uint64_t ts_ns, double val)
{
	pthread_mutex_lock(&tw.lock);
	if (tw.open)
		tw_printf(",\n{\"name\":\"%s\",\"cat\":\"mem\",\"ph\":\"C\",\"ts\":%.3f,\"pid\":1,"
			"\"args\":{\"value\":%.3f}}", name, us(ts_ns), val);
	pthread_mutex_unlock(&tw.lock);
}

int pm_trace_close(void)
{
	int err;

	if (!__atomic_load_n(&tw.open, __ATOMIC_ACQUIRE))
		return 0;
	pantomime_trace_set(NULL, NULL);
	pthread_mutex_lock(&tw.lock);
	tw_printf("\n]}\n");
	/* The last buffer goes to the writer too; then it stops. */
	*tw.full_tail = tw.cur;
	tw.full_tail = &tw.cur->next;
	tw.cur = NULL;
	tw.open = false;
	tw.stop = true;
	pthread_cond_signal(&tw.cond);
	pthread_mutex_unlock(&tw.lock);
	pthread_join(tw.writer, NULL);
	err = tw.err;
	if (ferror(tw.f) && !err)
		err = -EIO;
	if (fclose(tw.f) && !err)
		err = -errno;
	tw.f = NULL;
	return err;
}
