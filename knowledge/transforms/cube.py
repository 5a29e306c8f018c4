"""Transformations of cube (AIC) kernels: matmul tiling, ping-pong, core split. Filled in by the cube family."""
