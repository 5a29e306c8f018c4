"""The knowledge store: entries, their version history, effects and distillation decisions in one SQLite file.

Why SQLite in WAL mode with `synchronous=FULL`: many readers (every campaign's proposers, `hawk kb`) and one
writer at a time, and a write that returned is on disk, so the actor can acknowledge only after the commit
and a crash or restart loses nothing acknowledged. Every write is one `BEGIN IMMEDIATE` transaction: a
read-modify-write (effects, provenance, version bumps) cannot interleave with another writer's, in this
process or another one, so no update is lost.

Effect statistics are not stored on the entry: they are aggregated from the `effects` rows, one row per
(entry, evaluation). Recording an effect is a single idempotent INSERT, so concurrent writers and retried
calls (after an actor restart) can neither lose nor double-count a use. Each row keeps the use's evidence
(a JSON object: evaluation ids, parent and child status and time, the transformation or a short diff, the
bottleneck and pipe ratios before and after), which distillation and `hawk kb show` read.

Schema history: 1 = effects without evidence; 2 adds `effects.evidence` (an old file is migrated in place on
open, its rows getting an empty evidence object, so it stays readable).
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import sqlite3
import threading
import time
import uuid
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import IO, Any

from knowledge.model import Decision, Entry, EntryNotFound, KnowledgeError, Outcome, Stats

SCHEMA_VERSION = 2
EXPORT_FORMAT = "hawk-knowledge"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS entries (
    id TEXT PRIMARY KEY,
    key TEXT NOT NULL DEFAULT '',
    state TEXT NOT NULL,
    kind TEXT NOT NULL,
    hardware TEXT NOT NULL,
    origin TEXT NOT NULL,
    title TEXT NOT NULL,
    version INTEGER NOT NULL,
    created REAL NOT NULL,
    updated REAL NOT NULL,
    body TEXT NOT NULL
);
CREATE UNIQUE INDEX IF NOT EXISTS entries_live_key ON entries(key) WHERE key != '' AND state != 'deleted';
CREATE INDEX IF NOT EXISTS entries_state ON entries(state, hardware);
CREATE TABLE IF NOT EXISTS versions (
    entry_id TEXT NOT NULL, version INTEGER NOT NULL, at REAL NOT NULL, reason TEXT NOT NULL, body TEXT NOT NULL,
    PRIMARY KEY (entry_id, version)
);
CREATE TABLE IF NOT EXISTS effects (
    entry_id TEXT NOT NULL, evaluation_id TEXT NOT NULL, parent_evaluation_id TEXT NOT NULL DEFAULT '',
    passed INTEGER NOT NULL, parent_passed INTEGER, speedup REAL, effect REAL NOT NULL, at REAL NOT NULL,
    evidence TEXT NOT NULL DEFAULT '{}',
    PRIMARY KEY (entry_id, evaluation_id)
);
CREATE TABLE IF NOT EXISTS decisions (
    id INTEGER PRIMARY KEY AUTOINCREMENT, at REAL NOT NULL, action TEXT NOT NULL, entry_ids TEXT NOT NULL,
    by TEXT NOT NULL, reason TEXT NOT NULL, prompt TEXT NOT NULL DEFAULT '', response TEXT NOT NULL DEFAULT '',
    basis TEXT NOT NULL DEFAULT ''
);
"""


_EFFECT_COLS = ("entry_id, evaluation_id, parent_evaluation_id, passed, parent_passed, speedup, effect, at, "
                "evidence")
_INSERT_EFFECT = f"INSERT OR IGNORE INTO effects ({_EFFECT_COLS}) VALUES (?,?,?,?,?,?,?,?,?)"


def _migrate(conn: sqlite3.Connection) -> None:
    """Bring an older database to SCHEMA_VERSION inside the caller's transaction (nothing is dropped)."""
    cols = {r[1] for r in conn.execute("PRAGMA table_info(effects)")}
    if "evidence" not in cols:  # schema 1 -> 2
        conn.execute("ALTER TABLE effects ADD COLUMN evidence TEXT NOT NULL DEFAULT '{}'")
    row = conn.execute("SELECT value FROM meta WHERE key='schema_version'").fetchone()
    if row is not None and int(row[0]) < SCHEMA_VERSION:
        conn.execute("UPDATE meta SET value=? WHERE key='schema_version'", (str(SCHEMA_VERSION),))


def _evidence_json(evidence: dict[str, Any] | None) -> str:
    if evidence is None:
        return "{}"
    if not isinstance(evidence, dict):
        raise KnowledgeError(f"effect evidence must be an object, got {type(evidence).__name__}")
    try:
        return json.dumps(evidence, sort_keys=True, default=str)
    except (TypeError, ValueError) as e:
        raise KnowledgeError(f"effect evidence is not JSON-able: {e}") from None


def _parse_evidence(text: str | None) -> dict[str, Any]:
    try:
        obj = json.loads(text or "{}")
    except json.JSONDecodeError:
        return {"unparsed": text}
    return obj if isinstance(obj, dict) else {"value": obj}


def default_path() -> Path:
    """$HAWK_HOME/knowledge.sqlite, HAWK_HOME defaulting to ~/.hawk."""
    home = os.environ.get("HAWK_HOME") or os.path.join(os.path.expanduser("~"), ".hawk")
    return Path(home) / "knowledge.sqlite"


def new_id() -> str:
    return "kb-" + uuid.uuid4().hex[:12]


def _body(entry: Entry) -> str:
    d = entry.to_dict()
    d.pop("stats", None)
    return json.dumps(d, sort_keys=True)


class KnowledgeStore:
    """Thread-safe access to one knowledge database; one SQLite connection per thread."""

    def __init__(self, path: str | Path | None = None) -> None:
        self.path = Path(path) if path else default_path()
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._local = threading.local()
        conn = self._conn()
        try:
            conn.executescript("BEGIN IMMEDIATE;" + _SCHEMA + "INSERT OR IGNORE INTO meta VALUES ('schema_version', "
                               f"'{SCHEMA_VERSION}'); INSERT OR IGNORE INTO meta VALUES ('revision', '0'); COMMIT;")
        except sqlite3.DatabaseError as e:
            with contextlib.suppress(sqlite3.Error):
                conn.execute("ROLLBACK")
            raise KnowledgeError(f"{self.path} is not a usable knowledge database: {e}") from None
        row = conn.execute("SELECT value FROM meta WHERE key='schema_version'").fetchone()
        if int(row[0]) > SCHEMA_VERSION:
            raise KnowledgeError(f"{self.path}: knowledge schema {row[0]} is newer than this build ({SCHEMA_VERSION})")
        if int(row[0]) < SCHEMA_VERSION:
            with self._write(conn, bump=False):
                _migrate(conn)

    # ------------------------------------------------------------------------------------- plumbing
    def _conn(self) -> sqlite3.Connection:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            try:
                conn = sqlite3.connect(self.path, timeout=60.0, isolation_level=None, check_same_thread=False)
                conn.execute("PRAGMA journal_mode=WAL")
                conn.execute("PRAGMA synchronous=FULL")
                conn.execute("PRAGMA busy_timeout=60000")
                conn.create_function("hawk_ln", 1, math.log, deterministic=True)
            except sqlite3.DatabaseError as e:
                raise KnowledgeError(f"{self.path} is not a usable knowledge database: {e}") from None
            self._local.conn = conn
        return conn

    @contextlib.contextmanager
    def _write(self, conn: sqlite3.Connection | None = None, bump: bool = True) -> Iterator[sqlite3.Connection]:
        """One write transaction (BEGIN IMMEDIATE): all of it is committed, or none of it."""
        conn = conn or self._conn()
        conn.execute("BEGIN IMMEDIATE")
        try:
            yield conn
            if bump:
                conn.execute("UPDATE meta SET value = CAST(value AS INTEGER) + 1 WHERE key = 'revision'")
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise

    def close(self) -> None:
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            conn.close()
            self._local.conn = None

    def revision(self) -> int:
        """Grows with every committed write; caches (the retrieval index) key on it."""
        return int(self._conn().execute("SELECT value FROM meta WHERE key='revision'").fetchone()[0])

    def meta(self, key: str, default: str = "") -> str:
        row = self._conn().execute("SELECT value FROM meta WHERE key=?", (key,)).fetchone()
        return row[0] if row else default

    def set_meta(self, key: str, value: str) -> None:
        with self._write(bump=False) as conn:
            conn.execute("INSERT INTO meta VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value=excluded.value",
                         (key, value))

    # ---------------------------------------------------------------------------------------- entries
    def _load(self, conn: sqlite3.Connection, entry_id: str) -> Entry:
        row = conn.execute("SELECT body FROM entries WHERE id=?", (entry_id,)).fetchone()
        if row is None:
            raise EntryNotFound(entry_id)
        return Entry.from_dict(json.loads(row[0]), check_names=False)

    def _insert(self, conn: sqlite3.Connection, e: Entry, reason: str) -> None:
        e.validate()
        if conn.execute("SELECT 1 FROM entries WHERE id=?", (e.id,)).fetchone():
            raise KnowledgeError(f"knowledge entry {e.id!r} already exists")
        if e.key and e.state != "deleted":
            other = conn.execute("SELECT id FROM entries WHERE key=? AND state!='deleted'", (e.key,)).fetchone()
            if other:
                raise KnowledgeError(f"a live entry ({other[0]}) already has key {e.key!r}")
        body = _body(e)
        conn.execute("INSERT INTO entries VALUES (?,?,?,?,?,?,?,?,?,?,?)",
                     (e.id, e.key, e.state, e.kind, e.hardware, e.origin, e.title, e.version, e.created, e.updated,
                      body))
        conn.execute("INSERT OR REPLACE INTO versions VALUES (?,?,?,?,?)", (e.id, e.version, e.updated, reason, body))

    def _replace(self, conn: sqlite3.Connection, e: Entry, reason: str) -> None:
        """Write `e` as the next version of its entry, keeping the previous one in `versions`."""
        e.validate(check_names=False)  # an unchanged transform was checked when written; update() checks changes
        if e.key and e.state != "deleted":
            other = conn.execute("SELECT id FROM entries WHERE key=? AND state!='deleted' AND id!=?",
                                 (e.key, e.id)).fetchone()
            if other:
                raise KnowledgeError(f"a live entry ({other[0]}) already has key {e.key!r}")
        body = _body(e)
        conn.execute("UPDATE entries SET key=?, state=?, kind=?, hardware=?, origin=?, title=?, version=?, "
                     "updated=?, body=? WHERE id=?",
                     (e.key, e.state, e.kind, e.hardware, e.origin, e.title, e.version, e.updated, body, e.id))
        conn.execute("INSERT OR REPLACE INTO versions VALUES (?,?,?,?,?)", (e.id, e.version, e.updated, reason, body))

    def add(self, entry: Entry | dict[str, Any], *, reason: str = "created") -> Entry:
        """Store a new entry (an id is assigned when it has none); raises KnowledgeError on a clash."""
        if isinstance(entry, dict):
            entry = Entry.from_dict({"id": entry.get("id") or new_id(), **{k: v for k, v in entry.items() if k != "id"}})
        entry.id = entry.id or new_id()
        now = time.time()
        entry.created = entry.created or now
        entry.updated = now
        entry.version = 1
        with self._write() as conn:
            self._insert(conn, entry, reason)
        return self.get(entry.id)

    def get(self, entry_id: str) -> Entry:
        e = self._load(self._conn(), entry_id)
        e.stats = self.stats_for([entry_id]).get(entry_id, Stats())
        return e

    def find_by_key(self, key: str) -> Entry | None:
        """The live (not deleted) entry with this dedup key, if any."""
        row = self._conn().execute("SELECT id FROM entries WHERE key=? AND state!='deleted'", (key,)).fetchone()
        return self.get(row[0]) if row else None

    def find_by_key_prefix(self, prefix: str) -> list[Entry]:
        """Live entries whose dedup key starts with `prefix` (e.g. every verified fix of one trigger)."""
        rows = self._conn().execute("SELECT id FROM entries WHERE substr(key, 1, ?) = ? AND state!='deleted' "
                                    "ORDER BY created", (len(prefix), prefix)).fetchall()
        return [self.get(r[0]) for r in rows]

    def entries(self, states: Iterable[str] | None = ("active",), hardware: str | None = None,
                with_stats: bool = True) -> list[Entry]:
        """Entries in the given states (None = all) scoped to `hardware` (its own and "*" entries)."""
        sql, args = "SELECT body FROM entries", []
        where = []
        if states is not None:
            states = list(states)
            where.append(f"state IN ({','.join('?' * len(states))})")
            args += states
        if hardware:
            where.append("hardware IN (?, '*')")
            args.append(hardware)
        if where:
            sql += " WHERE " + " AND ".join(where)
        rows = self._conn().execute(sql + " ORDER BY created, id", args).fetchall()
        out = [Entry.from_dict(json.loads(r[0]), check_names=False) for r in rows]
        if with_stats and out:
            stats = self.stats_for(None if len(out) > 200 else [e.id for e in out])
            for e in out:
                e.stats = stats.get(e.id, Stats())
        return out

    def update(self, entry_id: str, changes: dict[str, Any], *, reason: str,
               expect_version: int | None = None) -> Entry:
        """Apply field changes as a new version; `expect_version` makes it a compare-and-set."""
        if not reason:
            raise KnowledgeError("an update needs a reason (it is kept in the version history)")
        frozen = {"id", "version", "created", "updated", "stats"} & set(changes)
        if frozen:
            raise KnowledgeError(f"fields {sorted(frozen)} cannot be changed")
        with self._write() as conn:
            current = self._load(conn, entry_id)
            if expect_version is not None and current.version != expect_version:
                raise KnowledgeError(f"entry {entry_id} is at version {current.version}, not {expect_version}")
            d = current.to_dict()
            d.pop("stats")
            d.update(changes)
            new = Entry.from_dict(d, check_names="transform" in changes)
            new.version, new.updated = current.version + 1, time.time()
            self._replace(conn, new, reason)
        return self.get(entry_id)

    def modify(self, entry_id: str, fn: Any, *, reason: str) -> Entry:
        """Read-modify-write in one transaction: `fn(entry) -> entry | None` (None = no change)."""
        with self._write() as conn:
            current = self._load(conn, entry_id)
            new = fn(Entry.from_dict(current.to_dict(), check_names=False))
            if new is not None:
                new.id, new.version, new.created, new.updated = (current.id, current.version + 1, current.created,
                                                                 time.time())
                self._replace(conn, new, reason)
        return self.get(entry_id)

    def put_keyed(self, entry: Entry, merge: Any, *, reason: str) -> tuple[Entry, bool]:
        """Insert `entry`, or when a live entry has its key, apply `merge(existing) -> entry | None` to that one.

        One transaction, so two synthesizers observing the same failure at once still make one entry.
        Returns (entry, created).
        """
        if not entry.key:
            raise KnowledgeError("put_keyed needs an entry with a key")
        with self._write() as conn:
            row = conn.execute("SELECT id FROM entries WHERE key=? AND state!='deleted'", (entry.key,)).fetchone()
            if row is None:
                now = time.time()
                entry.id = entry.id or new_id()
                entry.created, entry.updated, entry.version = entry.created or now, now, 1
                self._insert(conn, entry, reason)
                created, eid = True, entry.id
            else:
                current = self._load(conn, row[0])
                new = merge(Entry.from_dict(current.to_dict(), check_names=False))
                if new is not None:
                    new.id, new.version, new.created, new.updated = (current.id, current.version + 1,
                                                                     current.created, time.time())
                    self._replace(conn, new, reason)
                created, eid = False, current.id
        return self.get(eid), created

    def delete(self, entry_id: str, reason: str, *, merged_into: str = "") -> Entry:
        """Soft deletion: the entry stays, marked deleted with its reason; nothing is ever dropped."""
        if not reason or not reason.strip():
            raise KnowledgeError("deleting an entry needs a reason")

        def mark(e: Entry) -> Entry:
            e.state, e.deleted_reason, e.merged_into = "deleted", reason, merged_into
            return e

        return self.modify(entry_id, mark, reason=f"deleted: {reason}")

    def restore(self, entry_id: str, reason: str) -> Entry:
        def unmark(e: Entry) -> Entry:
            if e.state != "deleted":
                raise KnowledgeError(f"entry {entry_id} is not deleted")
            e.state = "active" if (e.template or e.transform or e.origin == "seed") else "pending"
            e.deleted_reason, e.merged_into = "", ""
            return e

        return self.modify(entry_id, unmark, reason=f"restored: {reason}")

    def history(self, entry_id: str) -> list[dict[str, Any]]:
        """Every version of an entry, oldest first: {version, at, reason, entry}."""
        rows = self._conn().execute("SELECT version, at, reason, body FROM versions WHERE entry_id=? ORDER BY version",
                                    (entry_id,)).fetchall()
        if not rows:
            raise EntryNotFound(entry_id)
        return [{"version": v, "at": at, "reason": r, "entry": json.loads(b)} for v, at, r, b in rows]

    # ---------------------------------------------------------------------------------------- effects
    def record_effect(self, entry_ids: Iterable[str], outcome: Outcome, evidence: dict[str, Any] | None = None) -> int:
        """Credit each entry a proposal applied with the outcome of its evaluation; returns new rows.

        `evidence` (JSON-able object) is kept on each row: what this use did and what it changed.
        Idempotent per (entry, evaluation): a retried call changes nothing. Unknown ids fail the whole call.
        """
        ev = _evidence_json(evidence)
        ids = sorted(set(entry_ids))
        if not outcome.evaluation_id:
            raise KnowledgeError("an outcome needs the evaluation_id it came from")
        if outcome.speedup is not None and not outcome.speedup > 0:
            raise KnowledgeError(f"speedup must be positive, got {outcome.speedup}")
        effect, now = outcome.effect(), time.time()
        with self._write() as conn:
            if ids:
                found = {r[0] for r in conn.execute(
                    f"SELECT id FROM entries WHERE id IN ({','.join('?' * len(ids))})", ids)}
                missing = [i for i in ids if i not in found]
                if missing:
                    raise KnowledgeError(f"unknown knowledge entries {missing}")
            added = 0
            for eid in ids:
                cur = conn.execute(
                    _INSERT_EFFECT,
                    (eid, outcome.evaluation_id, outcome.parent_evaluation_id, int(outcome.passed),
                     None if outcome.parent_passed is None else int(outcome.parent_passed), outcome.speedup,
                     effect, now, ev))
                added += cur.rowcount
        return added

    def effects(self, entry_id: str, limit: int | None = None) -> list[dict[str, Any]]:
        """The entry's uses, oldest first (the newest `limit` when given), each with its evidence."""
        sql = ("SELECT evaluation_id, parent_evaluation_id, passed, parent_passed, speedup, effect, at, evidence "
               "FROM effects WHERE entry_id=? ORDER BY at DESC, evaluation_id DESC")
        rows = self._conn().execute(sql + (f" LIMIT {int(limit)}" if limit else ""), (entry_id,)).fetchall()
        return [{"evaluation_id": r[0], "parent_evaluation_id": r[1], "passed": bool(r[2]),
                 "parent_passed": None if r[3] is None else bool(r[3]), "speedup": r[4], "effect": r[5], "at": r[6],
                 "evidence": _parse_evidence(r[7])} for r in reversed(rows)]

    def copy_effects(self, src_id: str, dst_id: str) -> int:
        """Fold one entry's effect rows into another's (a merge); an evaluation counts once per entry."""
        with self._write() as conn:
            cur = conn.execute(f"INSERT OR IGNORE INTO effects ({_EFFECT_COLS}) SELECT ?, evaluation_id, "
                               "parent_evaluation_id, passed, parent_passed, speedup, effect, at, evidence FROM effects "
                               "WHERE entry_id=?", (dst_id, src_id))
            return cur.rowcount

    def effect_count(self) -> int:
        return int(self._conn().execute("SELECT COUNT(*) FROM effects").fetchone()[0])

    def stats_for(self, ids: list[str] | None) -> dict[str, Stats]:
        sql = ("SELECT entry_id, COUNT(*), SUM(passed), SUM(1 - passed), "
               "SUM(CASE WHEN passed=1 AND parent_passed=0 THEN 1 ELSE 0 END), "
               "SUM(CASE WHEN passed=0 AND parent_passed=1 THEN 1 ELSE 0 END), SUM(effect), SUM(effect*effect), "
               "SUM(CASE WHEN speedup IS NOT NULL AND speedup > 0 THEN 1 ELSE 0 END), "
               "SUM(CASE WHEN speedup IS NOT NULL AND speedup > 0 THEN hawk_ln(speedup) ELSE 0 END) FROM effects")
        args: list[Any] = []
        if ids is not None:
            sql += f" WHERE entry_id IN ({','.join('?' * len(ids))})"
            args = list(ids)
        out = {}
        for r in self._conn().execute(sql + " GROUP BY entry_id", args):
            out[r[0]] = Stats(uses=r[1], passes=r[2] or 0, fails=r[3] or 0, fixes=r[4] or 0, breaks=r[5] or 0,
                              effect_sum=r[6] or 0.0, effect_sumsq=r[7] or 0.0, speedup_n=r[8] or 0,
                              speedup_log_sum=r[9] or 0.0)
        return out

    # -------------------------------------------------------------------------------------- decisions
    def record_decision(self, d: Decision) -> Decision:
        at = d.at or time.time()
        with self._write() as conn:
            cur = conn.execute("INSERT INTO decisions (at, action, entry_ids, by, reason, prompt, response, basis) "
                               "VALUES (?,?,?,?,?,?,?,?)",
                               (at, d.action, json.dumps(list(d.entry_ids)), d.by, d.reason, d.prompt, d.response,
                                d.basis))
            rowid = cur.lastrowid
        return Decision(action=d.action, entry_ids=tuple(d.entry_ids), by=d.by, reason=d.reason, prompt=d.prompt,
                        response=d.response, basis=d.basis, id=int(rowid or 0), at=at)

    def decisions(self, limit: int | None = None, *, action: str | None = None,
                  basis: str | None = None) -> list[Decision]:
        """Distillation decisions, newest first (optionally of one action, or made on one basis)."""
        sql = "SELECT id, at, action, entry_ids, by, reason, prompt, response, basis FROM decisions"
        where, args = [], []
        if action:
            where.append("action=?")
            args.append(action)
        if basis is not None:
            where.append("basis=?")
            args.append(basis)
        if where:
            sql += " WHERE " + " AND ".join(where)
        sql += " ORDER BY id DESC" + (f" LIMIT {int(limit)}" if limit else "")
        return [Decision(id=r[0], at=r[1], action=r[2], entry_ids=tuple(json.loads(r[3])), by=r[4], reason=r[5],
                         prompt=r[6], response=r[7], basis=r[8]) for r in self._conn().execute(sql, args)]

    # ------------------------------------------------------------------------------------------ stats
    def summary(self) -> dict[str, Any]:
        conn = self._conn()
        by_state = dict(conn.execute("SELECT state, COUNT(*) FROM entries GROUP BY state").fetchall())
        by_origin = dict(conn.execute("SELECT origin, COUNT(*) FROM entries WHERE state!='deleted' GROUP BY origin"))
        by_kind = dict(conn.execute("SELECT kind, COUNT(*) FROM entries WHERE state!='deleted' GROUP BY kind"))
        by_hw = dict(conn.execute("SELECT hardware, COUNT(*) FROM entries WHERE state!='deleted' GROUP BY hardware"))
        eff = conn.execute("SELECT COUNT(*), COUNT(DISTINCT evaluation_id), AVG(effect) FROM effects").fetchone()
        dec = dict(conn.execute("SELECT action, COUNT(*) FROM decisions GROUP BY action").fetchall())
        return {"path": str(self.path), "entries": sum(by_state.values()), "by_state": by_state,
                "by_origin": by_origin, "by_kind": by_kind, "by_hardware": by_hw, "effects": eff[0],
                "evaluations_credited": eff[1], "mean_effect": eff[2], "decisions": dec,
                "revision": self.revision(), "last_distill": self.meta("last_distill_at")}

    # ------------------------------------------------------------------------------- export / import
    def export_jsonl(self, out: str | Path | IO[str]) -> int:
        """Write everything as JSONL (header, version history, entries, effects, decisions); returns lines.

        History comes before the entries so that an import keeps each version's own reason.
        """
        conn = self._conn()
        lines = [{"type": EXPORT_FORMAT, "format": 1, "schema": SCHEMA_VERSION, "exported_at": time.time()}]
        conn.execute("BEGIN")  # one consistent snapshot
        try:
            for eid, v, at, reason, body in conn.execute("SELECT entry_id, version, at, reason, body FROM versions "
                                                         "ORDER BY entry_id, version"):
                lines.append({"type": "version", "entry_id": eid, "version": v, "at": at, "reason": reason,
                              "entry": json.loads(body)})
            for (body,) in conn.execute("SELECT body FROM entries ORDER BY created, id"):
                lines.append({"type": "entry", "entry": json.loads(body)})
            for r in conn.execute(f"SELECT {_EFFECT_COLS} FROM effects ORDER BY entry_id, evaluation_id"):
                lines.append({"type": "effect", "entry_id": r[0], "evaluation_id": r[1], "parent_evaluation_id": r[2],
                              "passed": bool(r[3]), "parent_passed": None if r[4] is None else bool(r[4]),
                              "speedup": r[5], "effect": r[6], "at": r[7], "evidence": _parse_evidence(r[8])})
            for d in conn.execute("SELECT at, action, entry_ids, by, reason, prompt, response, basis FROM decisions "
                                  "ORDER BY id"):
                lines.append({"type": "decision", "at": d[0], "action": d[1], "entry_ids": json.loads(d[2]), "by": d[3],
                              "reason": d[4], "prompt": d[5], "response": d[6], "basis": d[7]})
        finally:
            conn.execute("COMMIT")
        text = "".join(json.dumps(x, sort_keys=True) + "\n" for x in lines)
        if isinstance(out, (str, Path)):
            tmp = Path(str(out) + ".tmp")
            tmp.write_text(text, encoding="utf-8")
            tmp.replace(out)
        else:
            out.write(text)
        return len(lines)

    def import_jsonl(self, src: str | Path | IO[str]) -> dict[str, int]:
        """Merge an export into this store, all or nothing.

        Entries new here are added; an entry that exists is replaced only by a higher version (its history
        comes along); effects and decisions are added once. A bad line fails the whole import with its line
        number, and nothing already recorded changes.
        """
        text = Path(src).read_text(encoding="utf-8") if isinstance(src, (str, Path)) else src.read()
        records: list[tuple[int, dict[str, Any]]] = []
        for n, line in enumerate(text.splitlines(), 1):
            if not line.strip():
                continue
            try:
                rec = json.loads(line)
            except json.JSONDecodeError as e:
                raise KnowledgeError(f"line {n}: not JSON ({e.msg})") from None
            if not isinstance(rec, dict) or "type" not in rec:
                raise KnowledgeError(f"line {n}: a record must be an object with a 'type'")
            records.append((n, rec))
        if not records or records[0][1].get("type") != EXPORT_FORMAT:
            raise KnowledgeError(f"not a {EXPORT_FORMAT} export: the first line must be its header")
        counts = {"entries_added": 0, "entries_updated": 0, "entries_skipped": 0, "versions": 0, "effects": 0,
                  "decisions": 0}
        with self._write() as conn:
            for n, rec in records[1:]:
                kind = rec["type"]
                try:
                    if kind == "entry":
                        self._import_entry(conn, Entry.from_dict(rec.get("entry")), counts)
                    elif kind == "version":
                        Entry.from_dict(rec["entry"])
                        cur = conn.execute("INSERT OR IGNORE INTO versions VALUES (?,?,?,?,?)",
                                           (rec["entry_id"], int(rec["version"]), float(rec["at"]), str(rec["reason"]),
                                            json.dumps(rec["entry"], sort_keys=True)))
                        counts["versions"] += cur.rowcount
                    elif kind == "effect":
                        if conn.execute("SELECT 1 FROM entries WHERE id=?", (rec["entry_id"],)).fetchone() is None:
                            raise KnowledgeError(f"effect for unknown entry {rec['entry_id']!r}")
                        o = Outcome(evaluation_id=str(rec["evaluation_id"]), passed=bool(rec["passed"]),
                                    parent_passed=rec.get("parent_passed"), speedup=rec.get("speedup"),
                                    parent_evaluation_id=str(rec.get("parent_evaluation_id", "")))
                        cur = conn.execute(_INSERT_EFFECT,
                                           (rec["entry_id"], o.evaluation_id, o.parent_evaluation_id, int(o.passed),
                                            None if o.parent_passed is None else int(o.parent_passed), o.speedup,
                                            float(rec.get("effect", o.effect())), float(rec["at"]),
                                            _evidence_json(rec.get("evidence"))))
                        counts["effects"] += cur.rowcount
                    elif kind == "decision":
                        ids = json.dumps(list(rec["entry_ids"]))
                        dup = conn.execute("SELECT 1 FROM decisions WHERE at=? AND action=? AND entry_ids=?",
                                           (rec["at"], rec["action"], ids)).fetchone()
                        if dup is None:
                            conn.execute("INSERT INTO decisions (at, action, entry_ids, by, reason, prompt, response, "
                                         "basis) VALUES (?,?,?,?,?,?,?,?)",
                                         (float(rec["at"]), str(rec["action"]), ids, str(rec["by"]),
                                          str(rec["reason"]), str(rec.get("prompt", "")), str(rec.get("response", "")),
                                          str(rec.get("basis", ""))))
                            counts["decisions"] += 1
                    else:
                        raise KnowledgeError(f"unknown record type {kind!r}")
                except KnowledgeError as e:
                    raise KnowledgeError(f"line {n}: {e}") from None
                except (KeyError, TypeError, ValueError) as e:
                    raise KnowledgeError(f"line {n}: malformed {kind} record ({type(e).__name__}: {e})") from None
                except sqlite3.IntegrityError as e:
                    raise KnowledgeError(f"line {n}: {kind} record conflicts with this store ({e})") from None
        return counts

    def _import_entry(self, conn: sqlite3.Connection, e: Entry, counts: dict[str, int]) -> None:
        row = conn.execute("SELECT version FROM entries WHERE id=?", (e.id,)).fetchone()
        if row is None:
            if e.key and e.state != "deleted" and conn.execute(
                    "SELECT 1 FROM entries WHERE key=? AND state!='deleted'", (e.key,)).fetchone():
                counts["entries_skipped"] += 1  # the same knowledge, already here under another id
                return
            body = _body(e)
            conn.execute("INSERT INTO entries VALUES (?,?,?,?,?,?,?,?,?,?,?)",
                         (e.id, e.key, e.state, e.kind, e.hardware, e.origin, e.title, e.version, e.created,
                          e.updated, body))
            conn.execute("INSERT OR IGNORE INTO versions VALUES (?,?,?,?,?)", (e.id, e.version, e.updated, "imported",
                                                                               body))
            counts["entries_added"] += 1
        elif e.version > row[0]:
            body = _body(e)
            conn.execute("UPDATE entries SET key=?, state=?, kind=?, hardware=?, origin=?, title=?, version=?, "
                         "updated=?, body=? WHERE id=?",
                         (e.key, e.state, e.kind, e.hardware, e.origin, e.title, e.version, e.updated, body, e.id))
            conn.execute("INSERT OR IGNORE INTO versions VALUES (?,?,?,?,?)", (e.id, e.version, e.updated, "imported",
                                                                               body))
            counts["entries_updated"] += 1
        else:
            counts["entries_skipped"] += 1
