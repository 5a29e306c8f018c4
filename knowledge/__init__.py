"""Hawk's knowledge: run-time synthesis, bottleneck-aware 2-D retrieval, effect-driven distillation.

The store is plain Python over SQLite; the Ray actor is a thin shell around it. Must not import `controller`.
"""
