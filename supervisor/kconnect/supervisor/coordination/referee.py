"""The referee: a deterministic fold over the coordination log (review §6.2, errata 1-7, 14-19).

``apply(state, record, log_append_time, offset) -> state`` is pure: no local configuration (parameters come
from the CLUSTER record), no local time (only broker LogAppendTime, monotonized as ``mbt``), integer
milliseconds, and no iteration whose order depends on PYTHONHASHSEED (maps are dicts, whose order is
insertion order, and every derived list is sorted). States are immutable: frozen dataclasses whose maps are
read-only views of dicts that are copied on write and never mutated after publication.

Each rule is a small module-level function so the mutation tests can re-insert a counterexample of the
review by replacing one of them (tests/unit/test_referee_mutations.py).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from enum import IntEnum, StrEnum
from types import MappingProxyType
from typing import Any

from kconnect.supervisor.coordination import records as r
from kconnect.supervisor.coordination.params import ProtocolParams
from kconnect.supervisor.coordination.records import Token, Unit

NEVER = -(2**62)  # "no such time yet" in integer milliseconds
FOREVER = 2**62


class TimestampType(IntEnum):
    """Kafka's timestamp types as confluent-kafka reports them (Message.timestamp()[0])."""

    NOT_AVAILABLE = 0
    CREATE_TIME = 1
    LOG_APPEND_TIME = 2


class Status(StrEnum):
    LIVE = "LIVE"
    LEFT = "LEFT"
    EXPIRED = "EXPIRED"
    EXPELLED = "EXPELLED"
    SUPERSEDED = "SUPERSEDED"


@dataclass(frozen=True, slots=True)
class Member:
    epoch: int
    worker_id: str
    incarnation: str
    join_seq: int
    rest_url: str
    status: Status
    last_hb_mbt: int
    last_hb_off: int
    ready: bool
    can_lead: bool
    config_offset: int
    last_seq: int
    lease_end: int  # set when the membership ends; FOREVER while LIVE
    rejected: int  # consecutive ASSIGNMENTs written while leader that were rejected


@dataclass(frozen=True, slots=True)
class Owned:
    epoch: int
    token: Token


@dataclass(frozen=True, slots=True)
class Revoking:
    epoch: int
    token: Token
    since: int


@dataclass(frozen=True, slots=True)
class Parked:
    epoch: int  # the holder whose processes may still run until lease_end
    token: Token
    worker_id: str  # only for the sticky-return preference
    lease_end: int
    same_after: int
    anyone_after: int
    was_revoking: bool


@dataclass(frozen=True, slots=True)
class ClusterInfo:
    params: ProtocolParams
    fingerprint: r.Fingerprint
    protocol: int
    era: int  # LAT of the CLUSTER record


def _ro(d: dict[Any, Any]) -> Mapping[Any, Any]:
    return MappingProxyType(d)


_EMPTY: Mapping[Any, Any] = MappingProxyType({})


def _empty() -> Mapping[Any, Any]:
    return _EMPTY


@dataclass(frozen=True, slots=True)
class State:
    applied: int = -1  # offset of the last record folded in (whatever its outcome)
    halted: str | None = None
    cluster: ClusterInfo | None = None
    mbt: int = NEVER
    gen: int = 0
    config_offset: int = -1
    restart_mbt: int = NEVER
    restarts: int = 0
    membership_mbt: int = NEVER  # last JOIN / LEAVE / expiry / expulsion / supersession
    last_revoke_mbt: int = NEVER
    revoke_waves: int = 0  # consecutive accepted ASSIGNMENTs that revoked something
    members: Mapping[int, Member] = field(default_factory=_empty)
    owned: Mapping[Unit, Owned] = field(default_factory=_empty)
    revoking: Mapping[Unit, Revoking] = field(default_factory=_empty)
    parked: Mapping[Unit, Parked] = field(default_factory=_empty)
    outcome: str = "initial"  # what the last apply did (for metrics; not part of the digest)

    @property
    def params(self) -> ProtocolParams:
        if self.cluster is None:
            raise RuntimeError("no CLUSTER record applied yet")
        return self.cluster.params


INITIAL = State()


class _Tx:
    """Copy-on-write builder used inside one apply; nothing outside ever sees it mutate."""

    def __init__(self, s: State) -> None:
        self.s = s
        self.mbt = s.mbt
        self.members: Mapping[int, Member] = s.members
        self.owned: Mapping[Unit, Owned] = s.owned
        self.revoking: Mapping[Unit, Revoking] = s.revoking
        self.parked: Mapping[Unit, Parked] = s.parked
        self._mw = self._ow = self._rw = self._pw = False
        self.fields: dict[str, Any] = {}

    def m(self) -> dict[int, Member]:
        if not self._mw:
            self.members, self._mw = dict(self.members), True
        return self.members  # type: ignore[return-value]

    def o(self) -> dict[Unit, Owned]:
        if not self._ow:
            self.owned, self._ow = dict(self.owned), True
        return self.owned  # type: ignore[return-value]

    def rv(self) -> dict[Unit, Revoking]:
        if not self._rw:
            self.revoking, self._rw = dict(self.revoking), True
        return self.revoking  # type: ignore[return-value]

    def p(self) -> dict[Unit, Parked]:
        if not self._pw:
            self.parked, self._pw = dict(self.parked), True
        return self.parked  # type: ignore[return-value]

    def get(self, name: str) -> Any:
        return self.fields.get(name, getattr(self.s, name))

    def build(self, outcome: str, applied: int) -> State:
        return replace(
            self.s,
            mbt=self.mbt,
            members=_ro(self.members) if self._mw else self.members,  # type: ignore[arg-type]
            owned=_ro(self.owned) if self._ow else self.owned,  # type: ignore[arg-type]
            revoking=_ro(self.revoking) if self._rw else self.revoking,  # type: ignore[arg-type]
            parked=_ro(self.parked) if self._pw else self.parked,  # type: ignore[arg-type]
            outcome=outcome,
            applied=applied,
            **self.fields,
        )


# --- the fold ---------------------------------------------------------------------------------------------


def apply(
    state: State,
    record: r.Record | bytes,
    log_append_time: int,
    offset: int,
    *,
    timestamp_type: int = TimestampType.LOG_APPEND_TIME,
) -> State:
    """Fold one coordination record (its value, LAT and offset) into the state."""
    if state.halted is not None or offset <= state.applied:
        return state  # halted for good, or a record already folded in (re-delivery of the same offset)
    if timestamp_type != TimestampType.LOG_APPEND_TIME:
        return replace(state, halted=f"record at offset {offset} is not LogAppendTime", applied=offset)
    if isinstance(record, bytes):
        try:
            record = r.decode(record)
        except r.DecodeError as e:
            return replace(state, halted=f"undecodable record at offset {offset}: {e}", applied=offset)
    if state.cluster is None:
        if not isinstance(record, r.ClusterRecord):
            return replace(state, applied=offset, outcome="ignored:before-cluster")
        info = ClusterInfo(record.params, record.fingerprint, record.protocol, era=log_append_time)
        return replace(state, cluster=info, mbt=log_append_time, applied=offset, outcome="cluster")
    if record.cluster != state.cluster.fingerprint.group_id:
        return replace(state, applied=offset, outcome="ignored:other-cluster")
    if isinstance(record, r.ClusterRecord):
        return replace(state, applied=offset, outcome="ignored:late-cluster")

    tx = _Tx(state)
    tx.mbt = max(state.mbt, log_append_time)
    _sweep(tx)
    outcome = _apply_typed(tx, record, offset)
    _gc(tx)
    return tx.build(outcome, offset)


def _apply_typed(tx: _Tx, rec: r.Record, offset: int) -> str:
    if isinstance(rec, r.JoinRecord):
        return _join(tx, rec, offset)
    assert isinstance(rec, r.EpochRecord)
    sender = tx.members.get(rec.epoch)
    if sender is None or sender.incarnation != rec.incarnation or sender.worker_id != rec.worker_id:
        return "ignored:unknown-epoch"
    if _is_duplicate(sender, rec):
        return "ignored:duplicate"
    sender = replace(sender, last_seq=rec.seq)
    tx.m()[sender.epoch] = sender
    if isinstance(rec, r.HeartbeatRecord):
        return _heartbeat(tx, sender, rec, offset)
    if isinstance(rec, r.LeaveRecord):
        if sender.status is not Status.LIVE:
            return "ignored:not-live"
        restart = rec.mode is r.LeaveMode.RESTART
        _end(tx, sender.epoch, Status.LEFT, tx.mbt, park=restart, delay=tx.s.params.restart_park_ms)
        return "leave"
    if isinstance(rec, r.AssignmentRecord):
        return _assignment(tx, sender, rec, offset)
    if isinstance(rec, r.ReleaseRecord):
        return _release(tx, sender, rec)
    return "noop"  # CHECKPOINT (compared by the worker, not here) and TASK_CONFIGS


def _is_duplicate(sender: Member, rec: r.Record) -> bool:
    """Erratum 3: seq strictly increases per incarnation, so a resent or replayed record is ignored."""
    return rec.seq <= sender.last_seq


# --- sweep: expiry, overdue revocations, park ends ----------------------------------------------------------


def _sweep(tx: _Tx) -> None:
    p = tx.s.params
    for epoch, m in list(tx.members.items()):  # insertion order = ascending epoch
        if m.status is Status.LIVE and _expired(tx.mbt, m, p):
            _end(tx, epoch, Status.EXPIRED, m.last_hb_mbt + p.lease_ms)
    if tx.revoking:
        overdue = sorted({v.epoch for v in tx.revoking.values() if v.since + p.revoke_timeout_ms < tx.mbt})
        for epoch in overdue:
            m = tx.members[epoch]
            if m.status is Status.LIVE:
                _end(tx, epoch, Status.EXPELLED, m.last_hb_mbt + p.lease_ms)
    if tx.parked:
        due = [u for u, pk in tx.parked.items() if pk.anyone_after <= tx.mbt]
        if due:
            parked = tx.p()
            for u in due:
                del parked[u]


def _expired(mbt: int, m: Member, p: ProtocolParams) -> bool:
    return mbt > m.last_hb_mbt + p.lease_ms


def _end(tx: _Tx, epoch: int, status: Status, lease_end: int, *, park: bool = True, delay: int | None = None) -> None:
    """End a membership; its units become PARKED (or FREE) keyed by (epoch, token), never by worker_id."""
    p = tx.s.params
    wait = p.max_delay_ms if delay is None else delay
    m = tx.members[epoch]
    tx.m()[epoch] = replace(m, status=status, lease_end=lease_end)
    tx.fields["membership_mbt"] = tx.mbt
    mine = [u for u, o in tx.owned.items() if o.epoch == epoch]
    if mine:
        owned = tx.o()
        for u in mine:
            o = owned.pop(u)
            if park:
                tx.p()[u] = Parked(epoch, o.token, m.worker_id, lease_end, lease_end, lease_end + wait, False)
    leaving = [u for u, v in tx.revoking.items() if v.epoch == epoch]
    if leaving:
        revoking = tx.rv()
        for u in leaving:
            v = revoking.pop(u)
            if lease_end > tx.mbt:
                tx.p()[u] = Parked(epoch, v.token, m.worker_id, lease_end, lease_end, lease_end, True)


# --- per-type rules -----------------------------------------------------------------------------------------


def _join(tx: _Tx, rec: r.JoinRecord, offset: int) -> str:
    info = tx.s.cluster
    assert info is not None
    if not _fingerprint_matches(info, rec):
        return "ignored:fingerprint"
    for m in tx.members.values():
        if m.incarnation == rec.incarnation and m.join_seq >= rec.join_seq:
            return "ignored:duplicate-join"
    live = [m for m in tx.members.values() if m.status is Status.LIVE]
    if not live:
        _cold_start(tx)
    p = info.params
    tx.m()[offset] = Member(
        epoch=offset,
        worker_id=rec.worker_id,
        incarnation=rec.incarnation,
        join_seq=rec.join_seq,
        rest_url=rec.rest_url,
        status=Status.LIVE,
        last_hb_mbt=tx.mbt,
        last_hb_off=offset,
        ready=rec.ready,
        can_lead=True,
        config_offset=rec.config_offset,
        last_seq=rec.seq,
        lease_end=FOREVER,
        rejected=0,
    )
    tx.fields["membership_mbt"] = tx.mbt
    for m in live:
        if m.worker_id == rec.worker_id:
            _end(tx, m.epoch, Status.SUPERSEDED, m.last_hb_mbt + p.lease_ms)
    return "join"


def _fingerprint_matches(info: ClusterInfo, rec: r.JoinRecord) -> bool:
    return rec.fingerprint == info.fingerprint


def _cold_start(tx: _Tx) -> None:
    """No LIVE member before this JOIN: record a cluster restart and cap every park (erratum 19)."""
    p = tx.s.params
    tx.fields["restart_mbt"] = tx.mbt
    tx.fields["restarts"] = tx.s.restarts + 1
    cap = tx.mbt + p.init_delay_ms + p.cold_park_ms
    if tx.parked:
        parked = tx.p()
        for u, pk in list(parked.items()):
            parked[u] = replace(pk, anyone_after=_capped_park_end(pk, cap))


def _capped_park_end(pk: Parked, cap: int) -> int:
    return max(pk.lease_end, min(pk.anyone_after, cap))


def _heartbeat(tx: _Tx, sender: Member, rec: r.HeartbeatRecord, offset: int) -> str:
    if sender.status is not Status.LIVE:
        return "ignored:not-live"
    if not _heartbeat_counts(sender, rec):
        return "ignored:no-read-progress"
    tx.m()[sender.epoch] = replace(
        sender,
        last_hb_mbt=tx.mbt,
        last_hb_off=offset,
        ready=rec.ready,
        can_lead=rec.can_lead,
        config_offset=rec.config_offset,
    )
    return "heartbeat"


def _heartbeat_counts(sender: Member, rec: r.HeartbeatRecord) -> bool:
    """Read-progress rule (erratum 4): the sender must have applied its previous counted heartbeat."""
    return rec.applied_upto >= sender.last_hb_off


def _assignment(tx: _Tx, sender: Member, rec: r.AssignmentRecord, offset: int) -> str:
    if leader_epoch_of(tx.s.params, tx.members) != sender.epoch:
        return "ignored:not-leader"  # never touches `rejected` (review §6.2)
    if rec.gen != tx.s.gen + 1:
        tx.m()[sender.epoch] = replace(sender, rejected=sender.rejected + 1)
        return "ignored:wrong-gen"
    info = tx.s.cluster
    assert info is not None
    tx.fields["gen"] = rec.gen
    tx.fields["config_offset"] = max(tx.s.config_offset, rec.config_offset)
    accepted = revoked = 0
    touched: set[Unit] = set()  # membership tests only; never iterated
    for rv in rec.revokes:
        if rv.unit in touched:
            continue
        cur = tx.owned.get(rv.unit)
        if cur is not None and cur.epoch == rv.epoch and cur.token == rv.token:
            del tx.o()[rv.unit]
            tx.rv()[rv.unit] = Revoking(rv.epoch, rv.token, tx.mbt)
            touched.add(rv.unit)
            accepted += 1
            revoked += 1
    for g in rec.grants:
        if g.unit in touched:
            continue
        if _grant_allowed(tx, g):
            if g.unit in tx.parked:
                del tx.p()[g.unit]
            tx.o()[g.unit] = Owned(g.epoch, (info.era, offset))
            touched.add(g.unit)
            accepted += 1
    items = len(rec.revokes) + len(rec.grants)
    if items and not accepted:
        tx.m()[sender.epoch] = replace(sender, rejected=sender.rejected + 1)
    elif accepted:
        tx.m()[sender.epoch] = replace(sender, rejected=0)
    if revoked:
        tx.fields["revoke_waves"] = tx.s.revoke_waves + 1
        tx.fields["last_revoke_mbt"] = tx.mbt
    else:
        tx.fields["revoke_waves"] = 0
    return f"assignment:{accepted}/{items}"


def _grant_allowed(tx: _Tx, g: r.Grant) -> bool:
    target = tx.members.get(g.epoch)
    if target is None or target.status is not Status.LIVE:
        return False
    if g.unit in tx.owned or g.unit in tx.revoking:
        return False
    pk = tx.parked.get(g.unit)
    if pk is None:
        return True
    return _park_open_to(pk, target, tx.mbt)


def _park_open_to(pk: Parked, target: Member, mbt: int) -> bool:
    return (target.worker_id == pk.worker_id and mbt >= pk.same_after) or mbt >= pk.anyone_after


def _release(tx: _Tx, sender: Member, rec: r.ReleaseRecord) -> str:
    """RELEASE names (unit, token); an item acts only on that exact grant of the sender (errata 1, 2)."""
    done = 0
    for item in rec.items:
        if _release_item(tx, sender, item):
            done += 1
    return f"release:{done}/{len(rec.items)}"


def _release_item(tx: _Tx, sender: Member, item: r.ReleaseItem) -> bool:
    u = item.unit
    o = tx.owned.get(u)
    if o is not None and o.epoch == sender.epoch and o.token == item.token:
        del tx.o()[u]
        return True
    v = tx.revoking.get(u)
    if v is not None and v.epoch == sender.epoch and v.token == item.token:
        del tx.rv()[u]
        return True
    pk = tx.parked.get(u)
    if pk is not None and pk.epoch == sender.epoch and pk.token == item.token:
        if pk.was_revoking:
            del tx.p()[u]
        else:
            tx.p()[u] = replace(pk, same_after=min(pk.same_after, tx.mbt))
        return True
    return False


def _gc(tx: _Tx) -> None:
    """Deterministic GC (erratum 17): ended members whose parks can no longer matter are forgotten.

    The horizon adds T to the review's max(D, restart_park): a member's records can land at most
    message.timeout.ms = T after they were sent, so a late copy of its JOIN can no longer arrive once it is
    forgotten (otherwise the copy would create a ghost epoch that supersedes the worker's real one).
    """
    p = tx.s.params
    horizon = max(p.max_delay_ms, p.restart_park_ms) + p.lease_ms
    stale = [e for e, m in tx.members.items() if m.status is not Status.LIVE and m.lease_end + horizon < tx.mbt]
    if not stale:
        return
    referenced = {o.epoch for o in tx.owned.values()}
    referenced |= {v.epoch for v in tx.revoking.values()}
    referenced |= {pk.epoch for pk in tx.parked.values()}
    members = tx.m()
    for e in stale:
        if e not in referenced:
            del members[e]


# --- derived views ------------------------------------------------------------------------------------------


def leader_epoch_of(params: ProtocolParams, members: Mapping[int, Member]) -> int | None:
    for e, m in members.items():  # ascending epochs
        if m.status is Status.LIVE and m.ready and m.can_lead and m.rejected < params.max_rejected:
            return e
    return None


def leader(state: State) -> Member | None:
    """The oldest LIVE member that is ready, willing to lead and not demoted (a pure function of state)."""
    if state.cluster is None:
        return None
    e = leader_epoch_of(state.params, state.members)
    return None if e is None else state.members[e]


def checkpointer(state: State) -> Member | None:
    """The oldest LIVE member, ready or not (erratum 16)."""
    for m in state.members.values():
        if m.status is Status.LIVE:
            return m
    return None


def live_members(state: State) -> list[Member]:
    return sorted((m for m in state.members.values() if m.status is Status.LIVE), key=lambda m: m.epoch)


@dataclass(frozen=True, slots=True)
class UnitView:
    unit: Unit
    state: str  # OWNED | REVOKING | PARKED
    epoch: int
    token: Token


def unit_view(state: State, unit: Unit) -> UnitView | None:
    """Owner, grant token and holder epoch of one unit (None = FREE)."""
    if (o := state.owned.get(unit)) is not None:
        return UnitView(unit, "OWNED", o.epoch, o.token)
    if (v := state.revoking.get(unit)) is not None:
        return UnitView(unit, "REVOKING", v.epoch, v.token)
    if (pk := state.parked.get(unit)) is not None:
        return UnitView(unit, "PARKED", pk.epoch, pk.token)
    return None


def may_run(state: State, unit: Unit) -> tuple[int, Token] | None:
    """The one (epoch, token) that may run the unit (restated S1): OWNED, REVOKING, or PARKED in its lease."""
    if (o := state.owned.get(unit)) is not None:
        return o.epoch, o.token
    if (v := state.revoking.get(unit)) is not None:
        return v.epoch, v.token
    pk = state.parked.get(unit)
    if pk is not None and pk.lease_end > state.mbt and not _released_park(pk):
        return pk.epoch, pk.token
    return None


def _released_park(pk: Parked) -> bool:
    return pk.same_after < pk.lease_end  # a truthful RELEASE/LEAVE(restart) already reaped the processes


def units_of(state: State, epoch: int) -> dict[Unit, Token]:
    """Units OWNED (not revoking) by an epoch, in unit order."""
    return dict(sorted((u, o.token) for u, o in state.owned.items() if o.epoch == epoch))


def revoking_of(state: State, epoch: int) -> dict[Unit, Token]:
    return dict(sorted((u, v.token) for u, v in state.revoking.items() if v.epoch == epoch))


def parked_units(state: State) -> list[tuple[Unit, Parked]]:
    """Parked units with their deadlines in broker time (same_after for the holder's worker, anyone_after)."""
    return sorted(state.parked.items())


def pending_revokes(state: State) -> list[tuple[Unit, Revoking]]:
    return sorted(state.revoking.items())


# --- snapshot and digest ------------------------------------------------------------------------------------


def snapshot(state: State) -> dict[str, Any]:
    """Canonical JSON-able form of everything that defines the state (CHECKPOINT payload, digest input)."""
    c = state.cluster
    return {
        "applied": state.applied,
        "halted": state.halted,
        "cluster": None
        if c is None
        else {
            "params": c.params.to_json(),
            "fingerprint": c.fingerprint.to_json(),
            "protocol": c.protocol,
            "era": c.era,
        },
        "mbt": state.mbt,
        "gen": state.gen,
        "config_offset": state.config_offset,
        "restart_mbt": state.restart_mbt,
        "restarts": state.restarts,
        "membership_mbt": state.membership_mbt,
        "last_revoke_mbt": state.last_revoke_mbt,
        "revoke_waves": state.revoke_waves,
        "members": [
            [
                m.epoch,
                m.worker_id,
                m.incarnation,
                m.join_seq,
                m.rest_url,
                str(m.status),
                m.last_hb_mbt,
                m.last_hb_off,
                m.ready,
                m.can_lead,
                m.config_offset,
                m.last_seq,
                m.lease_end,
                m.rejected,
            ]
            for _, m in sorted(state.members.items())
        ],
        "owned": [[u[0], u[1], o.epoch, o.token[0], o.token[1]] for u, o in sorted(state.owned.items())],
        "revoking": [[u[0], u[1], v.epoch, v.token[0], v.token[1], v.since] for u, v in sorted(state.revoking.items())],
        "parked": [
            [
                u[0],
                u[1],
                p.epoch,
                p.token[0],
                p.token[1],
                p.worker_id,
                p.lease_end,
                p.same_after,
                p.anyone_after,
                p.was_revoking,
            ]
            for u, p in sorted(state.parked.items())
        ],
    }


def from_snapshot(snap: Mapping[str, Any]) -> State:
    """Inverse of ``snapshot`` (bootstrap from a confirmed CHECKPOINT)."""
    c = snap["cluster"]
    cluster = (
        None
        if c is None
        else ClusterInfo(
            ProtocolParams.from_json(c["params"]), r.Fingerprint.from_json(c["fingerprint"]), c["protocol"], c["era"]
        )
    )
    members = {
        row[0]: Member(
            epoch=row[0],
            worker_id=row[1],
            incarnation=row[2],
            join_seq=row[3],
            rest_url=row[4],
            status=Status(row[5]),
            last_hb_mbt=row[6],
            last_hb_off=row[7],
            ready=row[8],
            can_lead=row[9],
            config_offset=row[10],
            last_seq=row[11],
            lease_end=row[12],
            rejected=row[13],
        )
        for row in snap["members"]
    }
    owned = {(c_, t): Owned(e, (a, o)) for c_, t, e, a, o in snap["owned"]}
    revoking = {(c_, t): Revoking(e, (a, o), s) for c_, t, e, a, o, s in snap["revoking"]}
    parked = {(c_, t): Parked(e, (a, o), w, le, sa, aa, wr) for c_, t, e, a, o, w, le, sa, aa, wr in snap["parked"]}
    return State(
        applied=snap["applied"],
        halted=snap["halted"],
        cluster=cluster,
        mbt=snap["mbt"],
        gen=snap["gen"],
        config_offset=snap["config_offset"],
        restart_mbt=snap["restart_mbt"],
        restarts=snap["restarts"],
        membership_mbt=snap["membership_mbt"],
        last_revoke_mbt=snap["last_revoke_mbt"],
        revoke_waves=snap["revoke_waves"],
        members=_ro(members),
        owned=_ro(owned),
        revoking=_ro(revoking),
        parked=_ro(parked),
        outcome="snapshot",
    )


def digest(state: State) -> str:
    return hashlib.sha256(r.canonical_json(snapshot(state))).hexdigest()


def fold(records: Iterable[tuple[r.Record | bytes, int, int]], state: State = INITIAL) -> State:
    """Apply (record, LAT, offset) triples in order."""
    for rec, lat, off in records:
        state = apply(state, rec, lat, off)
    return state
