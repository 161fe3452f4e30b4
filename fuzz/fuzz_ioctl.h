/* SPDX-License-Identifier: MIT */
/*
 * The ioctl fuzzer's entry points (fuzz_ioctl.c): libFuzzer calls the
 * first; the reliability suite's replay test calls both.
 */
#ifndef PANTOMIME_FUZZ_IOCTL_H
#define PANTOMIME_FUZZ_IOCTL_H

#include <stddef.h>
#include <stdint.h>

/**
 * LLVMFuzzerTestOneInput() - run one input against the shared device.
 * @data: the input.
 * @size: its length.
 * Return: 0 (an invariant violation aborts).
 */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/** pantomime_fuzz_teardown() - destroy the shared device (the replay test's end). */
void pantomime_fuzz_teardown(void);

#endif
