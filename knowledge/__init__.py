"""Hawk's knowledge: run-time synthesis, bottleneck-aware 2-D retrieval, effect-driven distillation.

The store is plain Python over SQLite (`store.py`); `base.KnowledgeBase` joins the three modules over it and is
what the controller uses, directly or through the named Ray actor (`actor.py`, the only module importing Ray).
docs/knowledge.md describes the representation, the retrieval fusion and the distillation rules.
Must not import `controller`; kept import-light (nothing is imported here).
"""
