// SPDX-License-Identifier: MIT
#include "t_harness.h"
