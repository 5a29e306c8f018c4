"""The results store: campaigns, candidates, evaluations and the best kernel per task, in SQLite (WAL).

Every result is committed before the caller acknowledges it, and a candidate is unique per
(campaign, task, source hash), so a resumed campaign redoes nothing already recorded and a candidate is never
counted twice even when an agent dies mid-evaluation and the scheduler retries it elsewhere.
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from controller.normalize import normalized_hash
from hawk.v1 import result_pb2
from npu_agent import secrets

SCHEMA_VERSION = 1

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS campaigns (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    team TEXT NOT NULL DEFAULT '',
    priority INTEGER NOT NULL DEFAULT 0,
    hardware_profile TEXT NOT NULL,
    spec TEXT NOT NULL,               -- the campaign spec as given (TOML text)
    state TEXT NOT NULL,              -- running | finished | failed | stopped
    reason TEXT NOT NULL DEFAULT '',
    created_at REAL NOT NULL,
    updated_at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS candidates (
    id TEXT PRIMARY KEY,
    campaign_id TEXT NOT NULL REFERENCES campaigns(id),
    task TEXT NOT NULL,
    task_hash TEXT NOT NULL,
    round INTEGER NOT NULL,
    source TEXT NOT NULL,
    source_hash TEXT NOT NULL,
    parent_id TEXT,
    proposer TEXT NOT NULL,
    knowledge_used TEXT NOT NULL DEFAULT '[]',   -- JSON list of entry ids
    params TEXT NOT NULL DEFAULT '{}',           -- JSON: proposer parameters (offline) or model info (LLM)
    prompt_tokens INTEGER NOT NULL DEFAULT 0,
    completion_tokens INTEGER NOT NULL DEFAULT 0,
    cost_usd REAL NOT NULL DEFAULT 0,
    state TEXT NOT NULL DEFAULT 'pending',       -- pending | done
    created_at REAL NOT NULL,
    UNIQUE (campaign_id, task, source_hash)
);
CREATE INDEX IF NOT EXISTS candidates_by_task ON candidates (campaign_id, task, round);
CREATE TABLE IF NOT EXISTS evaluations (
    candidate_id TEXT PRIMARY KEY REFERENCES candidates(id),
    campaign_id TEXT NOT NULL,
    task TEXT NOT NULL,
    status TEXT NOT NULL,
    message TEXT NOT NULL DEFAULT '',
    time_us REAL,
    speedup REAL,
    floor_fraction REAL,
    bottleneck TEXT NOT NULL DEFAULT '',
    agent_id TEXT NOT NULL DEFAULT '',
    device_id INTEGER NOT NULL DEFAULT 0,
    cached INTEGER NOT NULL DEFAULT 0,
    attempts INTEGER NOT NULL DEFAULT 1,
    result BLOB NOT NULL,                        -- serialized hawk.v1.Result
    created_at REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS evaluations_by_task ON evaluations (campaign_id, task);
CREATE TABLE IF NOT EXISTS best (
    campaign_id TEXT NOT NULL,
    task TEXT NOT NULL,
    candidate_id TEXT NOT NULL,
    time_us REAL NOT NULL,
    speedup REAL,
    PRIMARY KEY (campaign_id, task)
);
CREATE TABLE IF NOT EXISTS rounds (       -- a row once every proposal of a round is recorded
    campaign_id TEXT NOT NULL,
    task TEXT NOT NULL,
    round INTEGER NOT NULL,
    PRIMARY KEY (campaign_id, task, round)
);
CREATE TABLE IF NOT EXISTS proposal_failures (   -- a proposer's answer that gave no candidate, kept as given
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    campaign_id TEXT NOT NULL,
    task TEXT NOT NULL,
    round INTEGER NOT NULL,
    proposer TEXT NOT NULL,
    reason TEXT NOT NULL,
    answer TEXT NOT NULL DEFAULT '',             -- the model's answer (empty when there was none)
    params TEXT NOT NULL DEFAULT '{}',
    prompt_tokens INTEGER NOT NULL DEFAULT 0,
    completion_tokens INTEGER NOT NULL DEFAULT 0,
    cost_usd REAL NOT NULL DEFAULT 0,
    created_at REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS proposal_failures_by_task ON proposal_failures (campaign_id, task);
CREATE TABLE IF NOT EXISTS baselines (
    campaign_id TEXT NOT NULL,
    task TEXT NOT NULL,
    time_us REAL NOT NULL,
    PRIMARY KEY (campaign_id, task)
);
"""


class StoreError(RuntimeError):
    """A request the store cannot satisfy (unknown campaign, duplicate, schema mismatch)."""


@dataclass(frozen=True)
class Candidate:
    id: str
    campaign_id: str
    task: str
    task_hash: str
    round: int
    source: str
    source_hash: str
    parent_id: str | None
    proposer: str
    knowledge_used: list[str]
    params: dict[str, Any]
    state: str
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost_usd: float = 0.0


@dataclass(frozen=True)
class Evaluation:
    candidate_id: str
    task: str
    status: str
    message: str
    time_us: float | None
    speedup: float | None
    floor_fraction: float | None
    bottleneck: str
    agent_id: str
    device_id: int
    cached: bool
    result: result_pb2.Result
    attempts: int = 1             # tries it took (failovers included); Result.agents_tried names the agents


@dataclass(frozen=True)
class NewCandidate:
    """A candidate to record with `add_candidates` (the fields of `add_candidate`)."""
    task: str
    task_hash: str
    round: int
    source: str
    source_hash: str
    proposer: str
    parent_id: str | None = None
    knowledge_used: tuple[str, ...] | list[str] = ()
    params: dict[str, Any] = field(default_factory=dict)
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost_usd: float = 0.0


@dataclass(frozen=True)
class Outcome:
    """A candidate's final result to record with `record_evaluations`."""
    candidate_id: str
    result: result_pb2.Result
    attempts: int = 1
    may_be_best: bool = True


def _copy(result: result_pb2.Result) -> result_pb2.Result:
    out = result_pb2.Result()
    out.CopyFrom(result)
    return out


def _now() -> float:
    return time.time()


def _new_id() -> str:
    """A candidate id (32 hex digits, as uuid4().hex): the time in nanoseconds, then 16 random digits. Time first,
    so a growing campaign appends to the id indexes (candidates, evaluations) instead of dirtying a random page of
    each per candidate: with random ids the store's CPU per candidate rose by a third or more from 500 to 12,800
    candidates (each commit writes every page it dirtied), with these by a fifth (the content-hash indexes stay
    random; docs/farm-scale.md). A batch's ids share their leading digits: show an id by its random end
    (`short_id`)."""
    return f"{time.time_ns():016x}{uuid.uuid4().hex[:16]}"


def short_id(candidate_id: str, n: int = 8) -> str:
    """An id as reports, prompts and logs show it: its last `n` digits (random for every id, old or new)."""
    return candidate_id[-n:]


def _evaluation_of(candidate_id: str, task: str, result: result_pb2.Result, attempts: int,
                   baseline_us: float | None) -> Evaluation:
    """The Evaluation row a (scrubbed) result is stored as: what `evaluation()` reads back."""
    ok = result.status == result_pb2.OK and result.HasField("profile") and result.profile.time_us > 0
    time_us = result.profile.time_us if ok else None
    speedup = (baseline_us / time_us) if (ok and baseline_us) else None
    floor = result.profile.floor.achieved_fraction if ok and result.profile.HasField("floor") else None
    bottleneck = ""
    if result.HasField("profile") and result.profile.HasField("bottleneck"):
        b = result.profile.bottleneck
        bottleneck = (result_pb2.Pipe.Name(b.pipe) if b.kind == result_pb2.Bottleneck.PIPE_BOUND
                      else result_pb2.Bottleneck.Kind.Name(b.kind))
    return Evaluation(candidate_id=candidate_id, task=task, status=result_pb2.Status.Name(result.status),
                      message=result.message, time_us=time_us, speedup=speedup, floor_fraction=floor,
                      bottleneck=bottleneck, agent_id=result.agent_id, device_id=result.device_id,
                      cached=bool(result.cached), result=result, attempts=attempts)


class ResultsStore:
    """Thread-safe access to one SQLite results database; one connection per thread."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._local = threading.local()
        try:
            self._refuse_foreign()
            self._conn().executescript(_SCHEMA)  # executescript commits on its own; the DDL is idempotent
            columns = {r[1] for r in self._conn().execute("PRAGMA table_info(campaigns)")}
            if "base_dir" not in columns:  # the folder the spec's relative paths refer to (for resume)
                self._conn().execute("ALTER TABLE campaigns ADD COLUMN base_dir TEXT NOT NULL DEFAULT ''")
            self._add_norm_hash()
            with self._tx() as db:
                row = db.execute("SELECT value FROM meta WHERE key='schema_version'").fetchone()
                if row is None:
                    db.execute("INSERT INTO meta VALUES ('schema_version', ?)", (str(SCHEMA_VERSION),))
                elif not str(row[0]).isdigit() or int(row[0]) != SCHEMA_VERSION:
                    raise StoreError(f"{self.path}: schema version {row[0]}, this hawk-farm reads {SCHEMA_VERSION}")
        except sqlite3.DatabaseError as e:  # not SQLite, truncated, or another program's database
            self.close()
            raise StoreError(f"{self.path} is not a usable hawk results database: {e}") from None

    def _add_norm_hash(self) -> None:
        """Candidates carry the hash of their normalised source (controller/normalize.py): the duplicate key."""
        db = self._conn()
        if "norm_hash" not in {r[1] for r in db.execute("PRAGMA table_info(candidates)")}:
            db.execute("ALTER TABLE candidates ADD COLUMN norm_hash TEXT NOT NULL DEFAULT ''")
        db.execute("CREATE INDEX IF NOT EXISTS candidates_by_norm ON candidates (campaign_id, task, norm_hash)")
        rows = db.execute("SELECT id, source FROM candidates WHERE norm_hash=''").fetchall()
        if rows:  # a database from before normalised duplicates: fill the key in once
            with self._tx() as tx:
                tx.executemany("UPDATE candidates SET norm_hash=? WHERE id=?",
                               [(normalized_hash(r["source"]), r["id"]) for r in rows])

    def _refuse_foreign(self) -> None:
        """Another program's database is refused untouched (not even switched to WAL), naming its tables."""
        if not self.path.exists() or self.path.stat().st_size == 0:
            return
        con = sqlite3.connect(f"file:{self.path}?mode=ro", uri=True)
        try:
            tables = {r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        finally:
            con.close()
        if tables and "campaigns" not in tables:
            raise StoreError(f"{self.path} is not a hawk results database (it holds tables "
                             f"{', '.join(sorted(tables)[:5])}); give another --store")

    # ----------------------------------------------------------------------------------- connections
    def _conn(self) -> sqlite3.Connection:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = sqlite3.connect(self.path, timeout=30, isolation_level=None, check_same_thread=True)
            conn.row_factory = sqlite3.Row
            conn.execute("PRAGMA journal_mode=WAL")
            # WAL + NORMAL: COMMIT appends the transaction to the WAL (write() returns once the OS holds it) and
            # fsyncs only at checkpoints. A crash of this process (or of any process) loses nothing committed, and
            # every other connection sees the transaction as soon as COMMIT returns, so "recorded before anything
            # else uses it" holds; only a power or OS failure can roll back the last commits (the database stays
            # consistent). FULL would add an fsync to every commit (one per round and per batch of results).
            conn.execute("PRAGMA synchronous=NORMAL")
            conn.execute("PRAGMA foreign_keys=ON")
            # A campaign's working set (its indexes) stays cached as it grows: 64 MB at most, used only as needed.
            conn.execute("PRAGMA cache_size=-65536")
            self._local.conn = conn
        return conn

    @contextmanager
    def _tx(self) -> Iterator[sqlite3.Connection]:
        db = self._conn()
        db.execute("BEGIN IMMEDIATE")
        try:
            yield db
        except BaseException:
            db.execute("ROLLBACK")
            raise
        db.execute("COMMIT")

    def close(self) -> None:
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            conn.close()
            self._local.conn = None

    # -------------------------------------------------------------------------------------- campaigns
    def create_campaign(self, name: str, spec_text: str, hardware_profile: str, team: str = "",
                        priority: int = 0, campaign_id: str | None = None, base_dir: str = "") -> str:
        cid = campaign_id or f"{name}-{time.strftime('%Y%m%d-%H%M%S')}-{uuid.uuid4().hex[:6]}"
        now = _now()
        with self._tx() as db:
            try:
                db.execute("INSERT INTO campaigns (id, name, team, priority, hardware_profile, spec, state, "
                           "created_at, updated_at, base_dir) VALUES (?,?,?,?,?,?,?,?,?,?)",
                           (cid, name, team, priority, hardware_profile, spec_text, "running", now, now, base_dir))
            except sqlite3.IntegrityError:
                raise StoreError(f"campaign {cid!r} already exists") from None
        return cid

    def campaign(self, campaign_id: str) -> dict[str, Any]:
        row = self._conn().execute("SELECT * FROM campaigns WHERE id=?", (campaign_id,)).fetchone()
        if row is None:
            known = [r[0] for r in self._conn().execute("SELECT id FROM campaigns ORDER BY created_at DESC LIMIT 5")]
            raise StoreError(f"no campaign {campaign_id!r} in {self.path}; recent: {', '.join(known) or 'none'}")
        return dict(row)

    def campaigns(self) -> list[dict[str, Any]]:
        return [dict(r) for r in self._conn().execute("SELECT * FROM campaigns ORDER BY created_at DESC")]

    def set_campaign_state(self, campaign_id: str, state: str, reason: str = "") -> None:
        with self._tx() as db:
            db.execute("UPDATE campaigns SET state=?, reason=?, updated_at=? WHERE id=?",
                       (state, reason, _now(), campaign_id))

    # ------------------------------------------------------------------------------------- candidates
    def add_candidate(self, campaign_id: str, task: str, task_hash: str, round_: int, source: str,
                      source_hash: str, proposer: str, parent_id: str | None = None,
                      knowledge_used: list[str] | None = None, params: dict[str, Any] | None = None,
                      prompt_tokens: int = 0, completion_tokens: int = 0, cost_usd: float = 0.0) -> str | None:
        """Record a proposed candidate; returns its id, or None when this source was already proposed.

        "Already proposed" is judged on the normalised source (comments and whitespace ignored), so a
        re-commented or re-indented kernel is refused; `source_hash` stays the exact-text hash."""
        cid = uuid.uuid4().hex
        norm = normalized_hash(source)
        with self._tx() as db:
            if db.execute("SELECT 1 FROM candidates WHERE campaign_id=? AND task=? AND norm_hash=?",
                          (campaign_id, task, norm)).fetchone() is not None:
                return None
            try:
                db.execute(
                    "INSERT INTO candidates (id, campaign_id, task, task_hash, round, source, source_hash, "
                    "parent_id, proposer, knowledge_used, params, prompt_tokens, completion_tokens, cost_usd, "
                    "created_at, norm_hash) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                    (cid, campaign_id, task, task_hash, round_, source, source_hash, parent_id, proposer,
                     json.dumps(knowledge_used or []), json.dumps(params or {}), prompt_tokens,
                     completion_tokens, cost_usd, _now(), norm))
            except sqlite3.IntegrityError:
                return None
        return cid

    _INSERT_NEW = (
        "INSERT OR IGNORE INTO candidates (id, campaign_id, task, task_hash, round, source, source_hash, parent_id, "
        "proposer, knowledge_used, params, prompt_tokens, completion_tokens, cost_usd, created_at, norm_hash) "
        "SELECT ?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,? WHERE NOT EXISTS "
        "(SELECT 1 FROM candidates WHERE campaign_id=? AND task=? AND norm_hash=?)")

    def add_candidates(self, campaign_id: str, items: list[NewCandidate], *, limit: int | None = None,
                       mark_round: tuple[str, int] | None = None) -> list[Candidate | None]:
        """Record many proposed candidates in one transaction (one statement each); returns, per item taken, its
        Candidate or None when its normalised source was already proposed (also earlier in the same batch).

        At most `limit` new candidates are recorded: items after the one that reached it are not taken (the
        result is shorter than `items`). `mark_round` (task, round) is marked proposed in the same transaction
        when every item was taken and at least one was new (the round's last ask), so a crash leaves either
        both or neither."""
        out: list[Candidate | None] = []
        added = 0
        now = _now()
        with self._tx() as db:
            for it in items:
                if limit is not None and added >= limit:
                    break
                cid = _new_id()
                norm = normalized_hash(it.source)
                used_json, params_json = json.dumps(list(it.knowledge_used)), json.dumps(dict(it.params))
                cur = db.execute(self._INSERT_NEW, (
                    cid, campaign_id, it.task, it.task_hash, it.round, it.source, it.source_hash, it.parent_id,
                    it.proposer, used_json, params_json, it.prompt_tokens, it.completion_tokens, it.cost_usd, now,
                    norm, campaign_id, it.task, norm))
                if cur.rowcount != 1:
                    out.append(None)
                    continue
                added += 1
                # The same values a read would give (params and knowledge_used through JSON, as stored).
                out.append(Candidate(id=cid, campaign_id=campaign_id, task=it.task, task_hash=it.task_hash,
                                     round=it.round, source=it.source, source_hash=it.source_hash,
                                     parent_id=it.parent_id, proposer=it.proposer,
                                     knowledge_used=json.loads(used_json), params=json.loads(params_json),
                                     state="pending",
                                     prompt_tokens=it.prompt_tokens, completion_tokens=it.completion_tokens,
                                     cost_usd=it.cost_usd))
            if mark_round is not None and len(out) == len(items) and added:
                db.execute("INSERT OR IGNORE INTO rounds VALUES (?,?,?)", (campaign_id, *mark_round))
        return out

    def has_normalized(self, campaign_id: str, task: str, source: str) -> bool:
        """Whether a kernel equal to this one up to comments and whitespace was already proposed."""
        return self._conn().execute("SELECT 1 FROM candidates WHERE campaign_id=? AND task=? AND norm_hash=?",
                                    (campaign_id, task, normalized_hash(source))).fetchone() is not None

    # ------------------------------------------------------------------------------ proposal failures
    def add_proposal_failure(self, campaign_id: str, task: str, round_: int, proposer: str, reason: str,
                             answer: str = "", params: dict[str, Any] | None = None, prompt_tokens: int = 0,
                             completion_tokens: int = 0, cost_usd: float = 0.0) -> int:
        """Keep an answer that gave no candidate (no kernel, truncated, duplicate, endpoint error) with why."""
        # Like results: never a secret this process knows (an endpoint error may quote a header or a key).
        reason, answer = secrets.scrub(reason), secrets.scrub(answer)
        with self._tx() as db:
            cur = db.execute(
                "INSERT INTO proposal_failures (campaign_id, task, round, proposer, reason, answer, params, "
                "prompt_tokens, completion_tokens, cost_usd, created_at) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
                (campaign_id, task, round_, proposer, reason, answer, json.dumps(params or {}), prompt_tokens,
                 completion_tokens, cost_usd, _now()))
            return int(cur.lastrowid)

    def proposal_failures(self, campaign_id: str, task: str | None = None) -> list[dict[str, Any]]:
        q = "SELECT * FROM proposal_failures WHERE campaign_id=?" + (" AND task=?" if task else "") + " ORDER BY id"
        rows = self._conn().execute(q, (campaign_id, task) if task else (campaign_id,))
        return [{**dict(r), "params": json.loads(r["params"])} for r in rows]

    def task_hashes(self, campaign_id: str) -> dict[str, str]:
        """The task hash each task's candidates were made for (resume refuses a changed task)."""
        return dict(self._conn().execute("SELECT task, MIN(task_hash) FROM candidates WHERE campaign_id=? "
                                         "GROUP BY task", (campaign_id,)).fetchall())

    def has_source(self, campaign_id: str, task: str, source_hash: str) -> bool:
        return self._conn().execute(
            "SELECT 1 FROM candidates WHERE campaign_id=? AND task=? AND source_hash=?",
            (campaign_id, task, source_hash)).fetchone() is not None

    @staticmethod
    def _candidate(row: sqlite3.Row) -> Candidate:
        return Candidate(id=row["id"], campaign_id=row["campaign_id"], task=row["task"], task_hash=row["task_hash"],
                         round=row["round"], source=row["source"], source_hash=row["source_hash"],
                         parent_id=row["parent_id"], proposer=row["proposer"],
                         knowledge_used=json.loads(row["knowledge_used"]), params=json.loads(row["params"]),
                         state=row["state"], prompt_tokens=row["prompt_tokens"],
                         completion_tokens=row["completion_tokens"], cost_usd=row["cost_usd"])

    def candidate(self, candidate_id: str) -> Candidate:
        row = self._conn().execute("SELECT * FROM candidates WHERE id=?", (candidate_id,)).fetchone()
        if row is None:
            raise StoreError(f"no candidate {candidate_id!r}")
        return self._candidate(row)

    def pending_candidates(self, campaign_id: str) -> list[Candidate]:
        """Candidates proposed but without a recorded evaluation: what a resume must still run."""
        rows = self._conn().execute("SELECT * FROM candidates WHERE campaign_id=? AND state='pending' "
                                    "ORDER BY created_at, rowid", (campaign_id,))
        return [self._candidate(r) for r in rows]

    def candidates(self, campaign_id: str, task: str | None = None) -> list[Candidate]:
        q = ("SELECT * FROM candidates WHERE campaign_id=?" + (" AND task=?" if task else "")
             + " ORDER BY created_at, rowid")  # rowid: insertion order among equal timestamps (one batch)
        return [self._candidate(r) for r in self._conn().execute(q, (campaign_id, task) if task else (campaign_id,))]

    def mark_round_proposed(self, campaign_id: str, task: str, round_: int) -> None:
        """Every proposal of this round is recorded (resume continues from the first round without this)."""
        with self._tx() as db:
            db.execute("INSERT OR IGNORE INTO rounds VALUES (?,?,?)", (campaign_id, task, round_))

    def rounds_proposed(self, campaign_id: str, task: str) -> int:
        """How many leading rounds of a task have all their proposals recorded."""
        done = {r[0] for r in self._conn().execute("SELECT round FROM rounds WHERE campaign_id=? AND task=?",
                                                   (campaign_id, task))}
        n = 0
        while n in done:
            n += 1
        return n

    def proposed_in_round(self, campaign_id: str, task: str, round_: int) -> int:
        return self._conn().execute("SELECT COUNT(*) FROM candidates WHERE campaign_id=? AND task=? AND round=?",
                                    (campaign_id, task, round_)).fetchone()[0]

    # ------------------------------------------------------------------------------------ evaluations
    def record_baseline(self, campaign_id: str, task: str, time_us: float) -> None:
        with self._tx() as db:
            db.execute("INSERT OR REPLACE INTO baselines VALUES (?,?,?)", (campaign_id, task, time_us))
            # A best recorded before the baseline (e.g. the baseline itself) gets its speedup now.
            db.execute("UPDATE best SET speedup = ? / time_us WHERE campaign_id=? AND task=?",
                       (time_us, campaign_id, task))

    def baseline(self, campaign_id: str, task: str) -> float | None:
        row = self._conn().execute("SELECT time_us FROM baselines WHERE campaign_id=? AND task=?",
                                   (campaign_id, task)).fetchone()
        return float(row[0]) if row else None

    def record_evaluation(self, candidate_id: str, result: result_pb2.Result, attempts: int = 1,
                          may_be_best: bool = True) -> bool:
        """Store a candidate's final result and update the best; False when it was already recorded."""
        return self.record_evaluations([Outcome(candidate_id, result, attempts, may_be_best)])[0] is not None

    def record_evaluations(self, outcomes: list[Outcome]) -> list[Evaluation | None]:
        """Store many final results in one transaction and update the bests; per outcome the Evaluation as a
        read would return it, or None when that candidate already had one (the first of two in one batch wins).

        Committed before this returns, so whatever the caller does next with a result (progress, knowledge,
        the next round) sees a recorded one. Raises StoreError, recording nothing, for an unknown candidate."""
        if not outcomes:
            return []
        # Never store a secret this process knows (the farm token, TLS keys): an agent that did not scrub it,
        # or an error text that quotes it, must not put it in a file every team can read.
        results = [secrets.scrub_message(_copy(o.result)) for o in outcomes]
        ids = list(dict.fromkeys(o.candidate_id for o in outcomes))
        out: list[Evaluation | None] = []
        now = _now()
        with self._tx() as db:
            # One lookup for the batch: each candidate's campaign and task, its task's baseline and best so far.
            owner: dict[str, tuple[str, str]] = {}
            bases: dict[tuple[str, str], float] = {}
            bests: dict[tuple[str, str], float] = {}
            for i in range(0, len(ids), 500):
                chunk = ids[i:i + 500]
                for r in db.execute(
                        "SELECT c.id, c.campaign_id, c.task, b.time_us, t.time_us FROM candidates c "
                        "LEFT JOIN baselines b ON b.campaign_id=c.campaign_id AND b.task=c.task "
                        "LEFT JOIN best t ON t.campaign_id=c.campaign_id AND t.task=c.task "
                        f"WHERE c.id IN ({','.join('?' * len(chunk))})", chunk):
                    owner[r[0]] = (r[1], r[2])
                    if r[3] is not None:
                        bases[(r[1], r[2])] = r[3]
                    if r[4] is not None:
                        bests[(r[1], r[2])] = r[4]
            missing = [i for i in ids if i not in owner]
            if missing:
                raise StoreError(f"no candidate {missing[0]!r}")
            new_best: dict[tuple[str, str], tuple[str, float, float | None]] = {}
            done: list[str] = []
            for o, result in zip(outcomes, results, strict=True):
                campaign_id, task = owner[o.candidate_id]
                ev = _evaluation_of(o.candidate_id, task, result, o.attempts, bases.get((campaign_id, task)))
                cur = db.execute(
                    "INSERT OR IGNORE INTO evaluations (candidate_id, campaign_id, task, status, message, time_us, "
                    "speedup, floor_fraction, bottleneck, agent_id, device_id, cached, attempts, result, created_at) "
                    "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                    (o.candidate_id, campaign_id, task, ev.status, result.message, ev.time_us, ev.speedup,
                     ev.floor_fraction, ev.bottleneck, result.agent_id, result.device_id, int(result.cached),
                     o.attempts, result.SerializeToString(), now))
                if cur.rowcount != 1:
                    out.append(None)
                    continue
                out.append(ev)
                done.append(o.candidate_id)
                # A profile below the hardware floor (flagged by the agent) or one whose cross-check failed
                # (controller/verify.py) is recorded, but never becomes a task's best.
                if ev.time_us is not None and o.may_be_best and not result.profile.floor.below_floor:
                    key = (campaign_id, task)
                    if key not in bests or ev.time_us < bests[key]:
                        bests[key] = ev.time_us
                        new_best[key] = (o.candidate_id, ev.time_us, ev.speedup)
            for i in range(0, len(done), 500):
                chunk = done[i:i + 500]
                db.execute(f"UPDATE candidates SET state='done' WHERE id IN ({','.join('?' * len(chunk))})", chunk)
            for (campaign_id, task), (cand, time_us, speedup) in new_best.items():
                db.execute("INSERT OR REPLACE INTO best VALUES (?,?,?,?,?)", (campaign_id, task, cand, time_us, speedup))
        return out

    def evaluation(self, candidate_id: str) -> Evaluation | None:
        row = self._conn().execute("SELECT * FROM evaluations WHERE candidate_id=?", (candidate_id,)).fetchone()
        return self._evaluation(row) if row else None

    @staticmethod
    def _evaluation(row: sqlite3.Row) -> Evaluation:
        result = result_pb2.Result()
        result.ParseFromString(row["result"])
        return Evaluation(candidate_id=row["candidate_id"], task=row["task"], status=row["status"],
                          message=row["message"], time_us=row["time_us"], speedup=row["speedup"],
                          floor_fraction=row["floor_fraction"], bottleneck=row["bottleneck"],
                          agent_id=row["agent_id"], device_id=row["device_id"], cached=bool(row["cached"]),
                          result=result, attempts=row["attempts"])

    def evaluations(self, campaign_id: str, task: str | None = None) -> list[Evaluation]:
        q = ("SELECT * FROM evaluations WHERE campaign_id=?" + (" AND task=?" if task else "")
             + " ORDER BY created_at, rowid")
        return [self._evaluation(r) for r in self._conn().execute(q, (campaign_id, task) if task else (campaign_id,))]

    def recorded_at(self, campaign_id: str) -> dict[str, float]:
        """When each evaluation was recorded, per candidate (the Evaluation record does not carry it)."""
        rows = self._conn().execute("SELECT candidate_id, created_at FROM evaluations WHERE campaign_id=?",
                                    (campaign_id,))
        return {r[0]: float(r[1]) for r in rows}

    def best(self, campaign_id: str) -> dict[str, dict[str, Any]]:
        rows = self._conn().execute("SELECT * FROM best WHERE campaign_id=?", (campaign_id,))
        return {r["task"]: dict(r) for r in rows}

    def counts(self, campaign_id: str) -> dict[str, int]:
        """Evaluations per status, plus 'pending' for candidates still without a result."""
        out = {r[0]: r[1] for r in self._conn().execute(
            "SELECT status, COUNT(*) FROM evaluations WHERE campaign_id=? GROUP BY status", (campaign_id,))}
        out["pending"] = self._conn().execute(
            "SELECT COUNT(*) FROM candidates WHERE campaign_id=? AND state='pending'", (campaign_id,)).fetchone()[0]
        return out
