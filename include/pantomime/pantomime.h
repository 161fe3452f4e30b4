/* SPDX-License-Identifier: MIT */
/*
 * pantomime's in-process API: open a model device, open files on it, and
 * talk to it exactly as to a panthor DRM node — ioctl with the real request
 * numbers and uAPI structs, mmap of BOs through their fake offsets — plus
 * read-only debug views. The LD_PRELOAD shim (libpantomime-shim.so) and the
 * `pantomime` command are built on this header only.
 *
 * Conventions: functions return 0 or a negative errno (never -1/errno);
 * every object is opaque; a file belongs to one device; all calls are
 * thread-safe.
 */
#ifndef PANTOMIME_PANTOMIME_H
#define PANTOMIME_PANTOMIME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#ifdef __cplusplus
extern "C" {
#endif

struct pantomime_device;
struct pantomime_file;

/**
 * enum pantomime_checker_mode - what the GPU model's protocol checker does.
 * @PANTOMIME_CHECKER_OFF: no checking.
 * @PANTOMIME_CHECKER_COUNT: record and count reports (default).
 * @PANTOMIME_CHECKER_ABORT: print the first violation and abort.
 */
enum pantomime_checker_mode {
	PANTOMIME_CHECKER_OFF = 0,
	PANTOMIME_CHECKER_COUNT = 1,
	PANTOMIME_CHECKER_ABORT = 2,
};

/**
 * struct pantomime_config - how a device is built.
 * @memory_bytes: DRAM budget of the device (default 1 GiB).
 * @swap_bytes: swap area for reclaim (default 0: no swap, no eviction).
 * @tlb_entries: TLB entries per address space per GPU unit (default 64; 0 disables).
 * @checker: protocol checker mode.
 * @fault_spec: allocation fault-injection spec (the PANTOMIME_FAULT syntax), or NULL.
 * @coherent: model an IO-coherent GPU (default false, as on RK3588).
 * @job_timeout_ms: how long a GPU job may run before its group is declared
 *                  TIMEDOUT (0: panthor's 5000 ms).
 * @gpu_nice: nice value (0..19, default 10) of the model's GPU executor
 *            threads: GPU jobs run on the host's spare CPU instead of taking
 *            it from the driver and its clients (0: same priority as them).
 */
struct pantomime_config {
	uint64_t memory_bytes;
	uint64_t swap_bytes;
	uint32_t tlb_entries;
	enum pantomime_checker_mode checker;
	const char *fault_spec;
	bool coherent;
	uint32_t job_timeout_ms;
	int gpu_nice;
};

/** pantomime_config_default() - fill @cfg with the defaults. */
void pantomime_config_default(struct pantomime_config *cfg);

/**
 * pantomime_config_from_env() - apply PANTOMIME_MEMORY, PANTOMIME_SWAP
 * (sizes such as 512M, 2G), PANTOMIME_TLB, PANTOMIME_CHECKER
 * (off|count|abort), PANTOMIME_FAULT, PANTOMIME_COHERENT (0|1) and
 * PANTOMIME_JOB_TIMEOUT_MS (milliseconds, 0: the default) on top of @cfg.
 *
 * Return: 0, or -EINVAL naming the bad variable in the log (@cfg is then
 * left as it was).
 */
int pantomime_config_from_env(struct pantomime_config *cfg);

/**
 * pantomime_device_create() - power on a model GPU and probe the driver on it.
 * Return: 0 and *@out, -EINVAL for a bad configuration, -ENOMEM.
 */
int pantomime_device_create(const struct pantomime_config *cfg, struct pantomime_device **out);
/** pantomime_device_destroy() - tear the device down; every file must be closed. */
void pantomime_device_destroy(struct pantomime_device *dev);

/**
 * pantomime_file_open() - open a DRM file on @dev (what open("/dev/dri/card0") gives).
 * @render: the file is on the render node (renderD128) rather than the primary node.
 * Return: 0 and *@out, -ENOMEM.
 */
int pantomime_file_open(struct pantomime_device *dev, bool render, struct pantomime_file **out);
/** pantomime_file_close() - release every object the file holds (as the last close of a DRM fd). */
void pantomime_file_close(struct pantomime_file *file);

/**
 * pantomime_ioctl() - one DRM ioctl with the kernel's semantics.
 * @file: the file.
 * @request: the ioctl request number (DRM_IOCTL_*, DRM_IOCTL_PANTHOR_*).
 * @arg: the argument struct in the caller's memory; read and written back
 *       as the kernel does (never beyond _IOC_SIZE(@request)); user pointers
 *       inside it are followed with a fault-recovering copy.
 *
 * Return: 0 or a negative errno, the kernel's for each ioctl (-EFAULT for
 * an unreadable or unwritable user pointer, -EINVAL for a DRM request
 * number the driver does not know, as drm_ioctl() answers); -ENOTTY for a
 * request whose type is not DRM's ('d').
 */
int pantomime_ioctl(struct pantomime_file *file, unsigned long request, void *arg);

/**
 * pantomime_mmap() - map a BO (by the fake offset BO_MMAP_OFFSET returned) or
 * the user MMIO page, as mmap() on the DRM fd does.
 * @addr: hint or MAP_FIXED address (as mmap).
 * @out: the mapping's address.
 * Return: 0, -EINVAL (size beyond the object, MAP_PRIVATE, bad offset),
 * -EACCES (write or exec on the flush-ID page), -ENOMEM.
 */
int pantomime_mmap(struct pantomime_file *file, void *addr, size_t len, int prot, int flags,
		   uint64_t offset, void **out);
/**
 * pantomime_munmap() - unmap a range returned by pantomime_mmap() (whole or partial).
 * Return: 0, or -EINVAL if the range is not one of ours.
 */
int pantomime_munmap(void *addr, size_t len);
/**
 * pantomime_fd_ioctl() - an ioctl on a file descriptor pantomime created
 * that is not a DRM file: a dma-buf from DRM_IOCTL_PRIME_HANDLE_TO_FD
 * (DMA_BUF_IOCTL_EXPORT_SYNC_FILE, DMA_BUF_IOCTL_IMPORT_SYNC_FILE,
 * DMA_BUF_IOCTL_SYNC of linux/dma-buf.h).
 * @fd: the descriptor.
 * @request: the request.
 * @arg: the argument in the caller's memory.
 * Return: 0 or a negative errno: -EBADF (@fd not open), -ENOTTY (@fd is not
 * one of pantomime's, or an unknown request), -EINVAL, -EFAULT, -ENOMEM.
 */
int pantomime_fd_ioctl(int fd, unsigned long request, void *arg);

/**
 * pantomime_fd_mmap() - mmap() of a dma-buf descriptor from
 * DRM_IOCTL_PRIME_HANDLE_TO_FD: a CPU mapping of the buffer, as the BO's own
 * mmap gives (unmap it with pantomime_munmap()).
 * @fd: the descriptor.
 * @len: bytes (rounded up to 4 KiB).
 * @prot: PROT_READ, optionally | PROT_WRITE.
 * @flags: MAP_SHARED (MAP_PRIVATE and MAP_FIXED are refused).
 * @offset: byte offset in the buffer, 4 KiB aligned.
 * @out: the mapping's address.
 * Return: 0, -EBADF (@fd not open), -ENODEV (@fd is not a dma-buf),
 * -EINVAL (range beyond the buffer, bad flags), -ENOMEM.
 */
int pantomime_fd_mmap(int fd, size_t len, int prot, int flags, uint64_t offset, void **out);

/** pantomime_fd_is_ours() - Return: @fd is a descriptor pantomime_fd_ioctl() serves (a dma-buf). */
bool pantomime_fd_is_ours(int fd);

/** pantomime_is_mapping() - Return: true if [@addr, @addr+@len) overlaps a pantomime mapping. */
bool pantomime_is_mapping(const void *addr, size_t len);

/**
 * enum pantomime_view - the debug views.
 * @PANTOMIME_VIEW_GEMS: the gems table (one BO per line, totals).
 * @PANTOMIME_VIEW_VMS: every VM's mappings, with evicted marks.
 * @PANTOMIME_VIEW_PGTABLES: a readable dump of each VM's page tables.
 * @PANTOMIME_VIEW_CHECKER: the checker's reports.
 * @PANTOMIME_VIEW_STATS: statistics.
 */
enum pantomime_view {
	PANTOMIME_VIEW_GEMS,
	PANTOMIME_VIEW_VMS,
	PANTOMIME_VIEW_PGTABLES,
	PANTOMIME_VIEW_CHECKER,
	PANTOMIME_VIEW_STATS,
};

/** pantomime_dump() - print @view of @dev to @out. Return: 0 or -EINVAL for an unknown view. */
int pantomime_dump(struct pantomime_device *dev, enum pantomime_view view, FILE *out);

/**
 * struct pantomime_stats - a device's counters.
 * @checker_violations: protocol violations reported.
 * @checker_notes: notes reported.
 * @gpu_accesses: GPU accesses through every address space.
 * @lock_stalls: accesses that waited for a locked region.
 * @lock_stall_ns: total time they waited.
 * @max_lock_stall_ns: the longest wait.
 * @mmu_faults: MMU faults.
 * @evictions: BOs evicted by the shrinker.
 * @restores: BOs brought back.
 * @bytes_swapped_out: bytes written to swap.
 * @bytes_swapped_in: bytes read back from swap.
 * @resident_bytes: memory in use now.
 * @peak_resident_bytes: most memory in use at once.
 * @swap_used_bytes: swap space in use now.
 * @failed_allocs: memory allocations that failed (injected failures included).
 */
struct pantomime_stats {
	uint64_t checker_violations;
	uint64_t checker_notes;
	uint64_t gpu_accesses;
	uint64_t lock_stalls;
	uint64_t lock_stall_ns;
	uint64_t max_lock_stall_ns;
	uint64_t mmu_faults;
	uint64_t evictions;
	uint64_t restores;
	uint64_t bytes_swapped_out;
	uint64_t bytes_swapped_in;
	uint64_t resident_bytes;
	uint64_t peak_resident_bytes;
	uint64_t swap_used_bytes;
	uint64_t failed_allocs;
};

/** pantomime_get_stats() - fill @st from @dev. */
void pantomime_get_stats(struct pantomime_device *dev, struct pantomime_stats *st);

/**
 * pantomime_shrink() - the shrink control: run one scan of the BO shrinker
 * asking for @nr_pages pages, as memory pressure would (GPU-mapped BOs
 * included, waiting briefly for their GPU work).
 * @dev: the device.
 * @nr_pages: pages (4 KiB) wanted.
 * Return: pages freed (0 without swap).
 */
unsigned long pantomime_shrink(struct pantomime_device *dev, unsigned long nr_pages);

/**
 * struct pantomime_trace_event - one trace event of the driver or the model.
 * @ts_ns: CLOCK_MONOTONIC time in nanoseconds.
 * @category: "vm" (bind ops, locked regions, faults), "shrinker" (scans,
 *            evictions, restores), "gpu" (jobs and stream runs of the
 *            hardware queue slots, stalls of GPU accesses on locked
 *            regions, MMU faults of a slot's accesses) or "mem" (memory
 *            reclaim).
 * @name: event name ("map", "lock_region", "evict", "job", "stream",
 *        "stall", "fault", ...).
 * @track: the row it belongs to: "vm<id>" (ids are unique per process),
 *         "shrinker", "gpu-as<n>" (every stall on address space n),
 *         "gpu-cs<n>" (hardware queue slot n, the unit that executes a
 *         command stream: a "job" span per GROUP_SUBMIT job it runs, with
 *         the vm, group, queue and seqno, holding the model's "stream"
 *         span of the run, with the as, stream base and size, the end
 *         status and the run's instruction, access and stall counts; its
 *         "stall" spans and "fault" instants), or the memory budget's name.
 *         Slot and AS numbers are per device.
 * @phase: 'B' begin, 'E' end (of the last 'B' of the same @track and
 *         thread), 'i' instant.
 * @nargs: number of valid entries in @arg_names and @args (at most 4).
 * @arg_names: names of the integer arguments.
 * @args: the integer arguments.
 *
 * The strings are valid only during the callback.
 */
struct pantomime_trace_event {
	uint64_t ts_ns;
	const char *category;
	const char *name;
	const char *track;
	char phase;
	unsigned int nargs;
	const char *arg_names[4];
	int64_t args[4];
};

/**
 * typedef pantomime_trace_fn - receives every trace event, synchronously, on
 * the thread that emitted it. It may be called from many threads at once and
 * with driver locks held: it must be quick, must not block for long and must
 * not call back into pantomime.
 */
typedef void (*pantomime_trace_fn)(void *cookie, const struct pantomime_trace_event *ev);

/**
 * pantomime_trace_set() - send the trace events of every device of the
 * process to @fn (NULL stops tracing; off, each trace point costs one
 * predictable branch). Returns once no event is being delivered to the
 * previous callback, so its owner may free @cookie afterwards.
 * @fn: the callback, or NULL.
 * @cookie: passed to @fn.
 */
void pantomime_trace_set(pantomime_trace_fn fn, void *cookie);

#ifdef __cplusplus
}
#endif

#endif
