"""Transformations of vector (AIV) kernels. Filled in by the vector family."""
