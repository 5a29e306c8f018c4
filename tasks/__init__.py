"""The built-in operator task catalogue: task files (TOML) with references, baselines and expert kernels."""
