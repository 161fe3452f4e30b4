// SPDX-License-Identifier: MIT
/*
 * DOC: the end report
 *
 * One struct pm_report, three renderings: the text table people read, one
 * JSON object on one line (the last line of the output with --json), and
 * a self-contained HTML page: the same table, the data as JSON in a
 * <script type="application/json" id="pantomime-data"> element, and inline
 * SVG charts drawn here (no script, no network) of residency and swap,
 * bind latency and the bind and GPU access rates over time.
 */
#include <errno.h>
#include <inttypes.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "pm.h"

#define MIB(x) ((double)(x) / 1048576.0)

bool pm_report_ok(const struct pm_report *r)
{
	return !r->corrupted_bytes && !r->unexpected_faults && !r->st.checker_violations;
}

static double rate(uint64_t n, double s)
{
	return s > 0 ? (double)n / s : 0;
}

void pm_report_print(const struct pm_report *r, FILE *f)
{
	const struct pantomime_stats *st = &r->st;
	bool ok = pm_report_ok(r);

	fprintf(f, "\n== pantomime report: %s, %.1f s ==\n", r->title, r->seconds);
	if (r->has_ops) {
		fprintf(f, "operations                 count        per s\n");
		for (int k = 0; k < PM_OP_KINDS; k++)
			fprintf(f, "  %-20s %10" PRIu64 " %12.1f\n", pm_op_names[k], r->ops[k],
				rate(r->ops[k], r->seconds));
		fprintf(f, "  %-20s %10" PRIu64 " %12.1f\n", "VM_BIND ops (all)", r->binds,
			rate(r->binds, r->seconds));
		fprintf(f, "final check                %" PRIu64 " VM_BIND ops, %" PRIu64
			" GPU accesses (not in the rates)\n", r->check_binds, r->check_gpu_accesses);
		fprintf(f, "bind latency (us)          p50 %.1f  p90 %.1f  p99 %.1f  max %.1f\n",
			r->bind_p50_us, r->bind_p90_us, r->bind_p99_us, r->bind_max_us);
	}
	fprintf(f, "GPU accesses               %" PRIu64 " (%.0f per s)\n", r->gpu_accesses,
		rate(r->gpu_accesses, r->seconds));
	fprintf(f, "lock-region stalls         %" PRIu64 ", total %.3f ms, worst %.1f us\n",
		st->lock_stalls, (double)st->lock_stall_ns / 1e6, (double)st->max_lock_stall_ns / 1e3);
	fprintf(f, "faults                     expected (injected) %" PRIu64 ", unexpected %" PRIu64
		", GPU MMU faults %" PRIu64 ", failed allocations %" PRIu64 "\n",
		r->expected_faults, r->unexpected_faults, st->mmu_faults, st->failed_allocs);
	fprintf(f, "reclaim                    %" PRIu64 " evictions (%.1f MiB out), %" PRIu64
		" restores (%.1f MiB in)\n", st->evictions, MIB(st->bytes_swapped_out),
		st->restores, MIB(st->bytes_swapped_in));
	fprintf(f, "residency                  peak %.1f MiB, final %.1f MiB of %.0f MiB; swap in "
		"use %.1f of %.0f MiB\n", MIB(st->peak_resident_bytes), MIB(st->resident_bytes),
		MIB(r->memory_bytes), MIB(st->swap_used_bytes), MIB(r->swap_bytes));
	fprintf(f, "checker                    %" PRIu64 " violation(s), %" PRIu64 " note(s)\n",
		st->checker_violations, st->checker_notes);
	if (r->has_ops)
		fprintf(f, "verified                   %.1f MiB through the CPU, %.1f MiB through the "
			"GPU; %" PRIu64 " byte(s) wrong\n", MIB(r->bytes_verified_cpu),
			MIB(r->bytes_verified_gpu), r->corrupted_bytes);
	else
		fprintf(f, "program exit status        %d\n", r->exit_status);
	if (r->gpu_note)
		fprintf(f, "note                       %s\n", r->gpu_note);
	fprintf(f, "result                     %s", ok ? "PASS" : "FAIL:");
	if (r->corrupted_bytes)
		fprintf(f, " corrupted data");
	if (r->unexpected_faults)
		fprintf(f, " unexpected faults");
	if (st->checker_violations)
		fprintf(f, " checker violations");
	fprintf(f, "\n");
}

static void json_str(FILE *f, const char *s)
{
	fputc('"', f);
	for (; s && *s; s++) {
		if (*s == '"' || *s == '\\')
			fprintf(f, "\\%c", *s);
		else if ((unsigned char)*s < 0x20)
			fprintf(f, "\\u%04x", *s);
		else
			fputc(*s, f);
	}
	fputc('"', f);
}

void pm_report_json(const struct pm_report *r, FILE *f)
{
	const struct pantomime_stats *st = &r->st;

	fprintf(f, "{\"command\":");
	json_str(f, r->title);
	fprintf(f, ",\"seconds\":%.3f,\"ok\":%s", r->seconds, pm_report_ok(r) ? "true" : "false");
	if (r->has_ops) {
		fprintf(f, ",\"ops\":{");
		for (int k = 0; k < PM_OP_KINDS; k++)
			fprintf(f, "%s\"%s\":%" PRIu64, k ? "," : "", pm_op_names[k], r->ops[k]);
		fprintf(f, "},\"binds\":%" PRIu64 ",\"binds_per_s\":%.1f,\"bind_p50_us\":%.2f,"
			"\"bind_p90_us\":%.2f,\"bind_p99_us\":%.2f,\"bind_max_us\":%.2f", r->binds,
			rate(r->binds, r->seconds), r->bind_p50_us, r->bind_p90_us, r->bind_p99_us,
			r->bind_max_us);
		fprintf(f, ",\"check_binds\":%" PRIu64 ",\"check_gpu_accesses\":%" PRIu64,
			r->check_binds, r->check_gpu_accesses);
	} else {
		fprintf(f, ",\"exit_status\":%d", r->exit_status);
	}
	fprintf(f, ",\"gpu_accesses\":%" PRIu64 ",\"gpu_accesses_per_s\":%.1f", r->gpu_accesses,
		rate(r->gpu_accesses, r->seconds));
	fprintf(f, ",\"lock_stalls\":%" PRIu64 ",\"lock_stall_ns\":%" PRIu64
		",\"max_lock_stall_ns\":%" PRIu64, st->lock_stalls, st->lock_stall_ns,
		st->max_lock_stall_ns);
	fprintf(f, ",\"expected_faults\":%" PRIu64 ",\"unexpected_faults\":%" PRIu64
		",\"mmu_faults\":%" PRIu64 ",\"failed_allocs\":%" PRIu64, r->expected_faults,
		r->unexpected_faults, st->mmu_faults, st->failed_allocs);
	fprintf(f, ",\"evictions\":%" PRIu64 ",\"restores\":%" PRIu64 ",\"mib_swapped_out\":%.2f"
		",\"mib_swapped_in\":%.2f", st->evictions, st->restores, MIB(st->bytes_swapped_out),
		MIB(st->bytes_swapped_in));
	fprintf(f, ",\"memory_bytes\":%" PRIu64 ",\"swap_bytes\":%" PRIu64
		",\"peak_resident_bytes\":%" PRIu64 ",\"resident_bytes\":%" PRIu64
		",\"swap_used_bytes\":%" PRIu64, r->memory_bytes, r->swap_bytes,
		st->peak_resident_bytes, st->resident_bytes, st->swap_used_bytes);
	fprintf(f, ",\"checker_reports\":%" PRIu64 ",\"checker_notes\":%" PRIu64, st->checker_violations,
		st->checker_notes);
	fprintf(f, ",\"corrupted_bytes\":%" PRIu64 ",\"bytes_verified\":%" PRIu64
		",\"bytes_verified_cpu\":%" PRIu64 ",\"bytes_verified_gpu\":%" PRIu64,
		r->corrupted_bytes, r->bytes_verified_cpu + r->bytes_verified_gpu,
		r->bytes_verified_cpu, r->bytes_verified_gpu);
	fprintf(f, ",\"note\":");
	if (r->gpu_note)
		json_str(f, r->gpu_note);
	else
		fprintf(f, "null");
	fprintf(f, "}\n");
}

/* ---- HTML --------------------------------------------------------------------------- */

static void html_esc(FILE *f, const char *s)
{
	for (; s && *s; s++) {
		switch (*s) {
		case '<': fputs("&lt;", f); break;
		case '>': fputs("&gt;", f); break;
		case '&': fputs("&amp;", f); break;
		case '"': fputs("&quot;", f); break;
		default: fputc(*s, f);
		}
	}
}

struct series {
	const char *name;
	const char *color;
	size_t off;	/* of the double in struct pm_sample */
	double scale;
};

static double sval(const struct pm_sample *p, const struct series *s)
{
	return *(const double *)((const char *)p + s->off) * s->scale;
}

/* One line chart, 720x220, of @n series. */
static void svg_chart(FILE *f, const struct pm_report *r, const char *title, const char *unit,
		      const struct series *ser, unsigned int n)
{
	const double W = 720, H = 220, L = 60, R = 10, T = 24, B = 30;
	double tmax = r->seconds > 0 ? r->seconds : 1, ymax = 0;

	for (size_t i = 0; i < r->nr_samples; i++)
		for (unsigned int k = 0; k < n; k++)
			if (sval(&r->samples[i], &ser[k]) > ymax)
				ymax = sval(&r->samples[i], &ser[k]);
	if (ymax <= 0)
		ymax = 1;
	ymax *= 1.1;
	fprintf(f, "<figure><svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%.0f\" height=\"%.0f\" "
		"viewBox=\"0 0 %.0f %.0f\" class=\"chart\">\n", W, H, W, H);
	fprintf(f, "<rect x=\"0\" y=\"0\" width=\"%.0f\" height=\"%.0f\" fill=\"#fff\"/>\n", W, H);
	fprintf(f, "<text x=\"%.0f\" y=\"16\" font-size=\"13\" font-weight=\"bold\">", L);
	html_esc(f, title);
	fprintf(f, " (%s)</text>\n", unit);
	for (int g = 0; g <= 4; g++) {
		double y = T + (H - T - B) * g / 4.0;

		fprintf(f, "<line x1=\"%.0f\" x2=\"%.0f\" y1=\"%.1f\" y2=\"%.1f\" stroke=\"#ddd\"/>"
			"<text x=\"%.0f\" y=\"%.1f\" font-size=\"10\" text-anchor=\"end\">%.3g</text>\n",
			L, W - R, y, y, L - 4, y + 3, ymax * (4 - g) / 4.0);
	}
	for (int g = 0; g <= 4; g++) {
		double x = L + (W - L - R) * g / 4.0;

		fprintf(f, "<text x=\"%.1f\" y=\"%.0f\" font-size=\"10\" text-anchor=\"middle\">%.1f s"
			"</text>\n", x, H - 12, tmax * g / 4.0);
	}
	for (unsigned int k = 0; k < n; k++) {
		fprintf(f, "<polyline fill=\"none\" stroke=\"%s\" stroke-width=\"1.5\" points=\"",
			ser[k].color);
		for (size_t i = 0; i < r->nr_samples; i++) {
			const struct pm_sample *p = &r->samples[i];

			fprintf(f, "%.1f,%.1f ", L + (W - L - R) * p->t / tmax,
				T + (H - T - B) * (1 - sval(p, &ser[k]) / ymax));
		}
		fprintf(f, "\"/>\n<text x=\"%.0f\" y=\"%.0f\" font-size=\"11\" fill=\"%s\">%s</text>\n",
			L + 10 + 170.0 * k, H - 1, ser[k].color, ser[k].name);
	}
	fprintf(f, "</svg></figure>\n");
}

int pm_report_html(const struct pm_report *r, const char *path)
{
	static const struct series mem[] = {
		{ "resident", "#1f77b4", offsetof(struct pm_sample, resident), 1.0 / 1048576 },
		{ "swap used", "#d62728", offsetof(struct pm_sample, swap), 1.0 / 1048576 },
	};
	static const struct series lat[] = {
		{ "mean", "#2ca02c", offsetof(struct pm_sample, bind_avg_us), 1 },
		{ "worst", "#ff7f0e", offsetof(struct pm_sample, bind_max_us), 1 },
	};
	static const struct series rates[] = {
		{ "VM_BIND ops/s", "#9467bd", offsetof(struct pm_sample, binds_per_s), 1 },
	};
	static const struct series gpu[] = {
		{ "GPU accesses/s", "#8c564b", offsetof(struct pm_sample, gpu_per_s), 1 },
	};
	FILE *f = fopen(path, "w");
	int err = 0;

	if (!f)
		return -errno;
	fprintf(f, "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n"
		"<title>pantomime report: ");
	html_esc(f, r->title);
	fprintf(f, "</title>\n<style>body{font-family:sans-serif;margin:2em;color:#222}"
		"pre{background:#f6f6f6;padding:1em;border:1px solid #ddd}"
		".pass{color:#080}.fail{color:#b00}figure{margin:1em 0}</style>\n</head><body>\n");
	fprintf(f, "<h1>pantomime report: ");
	html_esc(f, r->title);
	fprintf(f, "</h1>\n<p class=\"%s\" id=\"result\"><b>%s</b></p>\n",
		pm_report_ok(r) ? "pass" : "fail", pm_report_ok(r) ? "PASS" : "FAIL");
	fprintf(f, "<h2>Over time</h2>\n");
	svg_chart(f, r, "Residency and swap", "MiB", mem, 2);
	if (r->has_ops) {
		svg_chart(f, r, "Bind latency", "us", lat, 2);
		svg_chart(f, r, "Bind rate", "ops/s", rates, 1);
	}
	svg_chart(f, r, "GPU access rate", "accesses/s", gpu, 1);
	fprintf(f, "<h2>Report</h2>\n<pre id=\"table\">");
	{
		char *buf = NULL;
		size_t len = 0;
		FILE *m = open_memstream(&buf, &len);

		if (m) {
			pm_report_print(r, m);
			fclose(m);
			html_esc(f, buf);
			free(buf);
		}
	}
	fprintf(f, "</pre>\n<script type=\"application/json\" id=\"pantomime-data\">{\"report\":");
	pm_report_json(r, f);
	fprintf(f, ",\"samples\":[");
	for (size_t i = 0; i < r->nr_samples; i++) {
		const struct pm_sample *p = &r->samples[i];

		fprintf(f, "%s{\"t\":%.6f,\"resident\":%.0f,\"swap\":%.0f,\"bind_avg_us\":%.3f,"
			"\"bind_max_us\":%.3f,\"binds_per_s\":%.1f,\"gpu_per_s\":%.1f}", i ? "," : "",
			p->t, p->resident, p->swap, p->bind_avg_us, p->bind_max_us, p->binds_per_s,
			p->gpu_per_s);
	}
	fprintf(f, "]}</script>\n</body></html>\n");
	if (ferror(f))
		err = -EIO;
	if (fclose(f) && !err)
		err = -errno;
	return err;
}
