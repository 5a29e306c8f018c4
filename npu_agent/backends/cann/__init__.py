"""The CANN backend: the agent on a real Ascend host."""
