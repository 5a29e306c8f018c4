"""The Ascend C twin ("simnpu"): real Ascend C kernels compiled by the host C++ compiler and run on the CPU."""
