// SPDX-License-Identifier: MIT
#include "t_harness.h"
#include "dma/dma_fence.h"

T_TEST(fence_smoke, "dma/fence/smoke")
{
	struct dma_fence *f = dma_fence_get_stub();

	T_ASSERT(dma_fence_is_signaled(f));
	dma_fence_put(f);
}
