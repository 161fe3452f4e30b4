/* SPDX-License-Identifier: MIT */
/*
 * Test-only access from the public API's opaque objects to the driver
 * objects behind them, for checks a user cannot make through the API
 * (page-table walks, frame ownership, validate()). Not part of
 * include/pantomime/: the shim builds the ioctl layer with hidden
 * visibility, so these are never exported from it.
 */
#ifndef PANTOMIME_PANTHOR_DEBUG_H
#define PANTOMIME_PANTHOR_DEBUG_H

struct pantomime_device;
struct pantomime_file;
struct panthor_device;
struct panthor_file;

/**
 * pantomime_debug_ptdev() - the driver device behind an API device.
 * @dev: the device.
 * Return: its panthor device (owned by @dev).
 */
struct panthor_device *pantomime_debug_ptdev(struct pantomime_device *dev);

/**
 * pantomime_debug_pfile() - the driver file behind an API file.
 * @file: the file.
 * Return: its panthor file (owned by @file).
 */
struct panthor_file *pantomime_debug_pfile(struct pantomime_file *file);

#endif
