"""Fixtures for knowledge tests: a real SQLite store per test, seeded or empty."""

from __future__ import annotations

from pathlib import Path

import pytest

from knowledge.base import KnowledgeBase
from knowledge.store import KnowledgeStore


@pytest.fixture
def store(tmp_path: Path) -> KnowledgeStore:
    return KnowledgeStore(tmp_path / "knowledge.sqlite")


@pytest.fixture
def kb(tmp_path: Path) -> KnowledgeBase:
    return KnowledgeBase(tmp_path / "knowledge.sqlite")


@pytest.fixture
def empty_kb(tmp_path: Path) -> KnowledgeBase:
    return KnowledgeBase(tmp_path / "knowledge.sqlite", seed=False)
