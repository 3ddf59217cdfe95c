"""Sans-IO worker core (review §6.4, erratum 26): the decisions of one supervisor, no I/O.

The shell (later: confluent-kafka, subprocess and pidfds; today: the simulator in tests/sim) feeds it
events and executes the commands it returns:

* inputs: ``start(now)``, ``on_record(offset, lat, record, now)``, ``on_delivery(seq, ok, now)``,
  ``on_child_exit(unit, token, now)``, ``tick(now)``, ``leave(mode, now)``, ``set_wanted(units)``;
* outputs: ``Produce(record)``, ``Spawn(unit, token, deadline)``, ``SetDeadline(unit, token, deadline)``
  (re-arms the child's kernel timer), ``Stop(unit, token)`` (SIGTERM now, SIGKILL after g), ``FenceAll()``
  (SIGKILL every child), ``Exit(reason)``.

``now`` is the local CLOCK_BOOTTIME in integer milliseconds; broker time never mixes with it.

Local invariants (review I1-I5):

* I1 spawn only if my epoch is LIVE at my applied position, the unit is OWNED by me with that token, at
  least ``min_start_lease`` of lease remains, and no process of the unit (any token) is alive here;
* I2 every child's deadline is <= the lease deadline; a revoked child's deadline is capped to apply time + g
  before any later renewal is passed on;
* I3 RELEASE and LEAVE only after the child's exit was observed;
* I4 the lease deadline is computed from a heartbeat's send time, never from "now";
* I5 after LEAVE or after my epoch ended, nothing is spawned under that epoch.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from kconnect.supervisor.coordination import assignor, params
from kconnect.supervisor.coordination import records as r
from kconnect.supervisor.coordination import referee as ref
from kconnect.supervisor.coordination.params import Profile
from kconnect.supervisor.coordination.records import Token, Unit


@dataclass(frozen=True, slots=True)
class Produce:
    record: r.Record


@dataclass(frozen=True, slots=True)
class Spawn:
    unit: Unit
    token: Token
    deadline: int


@dataclass(frozen=True, slots=True)
class SetDeadline:
    unit: Unit
    token: Token
    deadline: int


@dataclass(frozen=True, slots=True)
class Stop:
    unit: Unit
    token: Token


@dataclass(frozen=True, slots=True)
class FenceAll:
    pass


@dataclass(frozen=True, slots=True)
class Exit:
    reason: str


RECENT_STATES = 4_096  # about 2C of records at 100 workers and h = 1 s (erratum 16's digest ring)
MAX_ANCHOR_ATTEMPTS = 3  # checkpoints that disagree with the replayed state before the worker gives up

Command = Produce | Spawn | SetDeadline | Stop | FenceAll | Exit
Applier = Callable[[ref.State, r.Record, int, int], ref.State]
Proposer = Callable[[ref.State, Iterable[Unit], int], assignor.Proposal | None]


def _default_apply(state: ref.State, record: r.Record, lat: int, offset: int) -> ref.State:
    return ref.apply(state, record, lat, offset)


@dataclass(slots=True)
class _Child:
    token: Token
    deadline: int
    stopping: bool = False


@dataclass(slots=True)
class MemberCore:
    worker_id: str
    incarnation: str
    profile: Profile
    fingerprint: r.Fingerprint
    rest_url: str = ""
    applier: Applier = _default_apply
    proposer: Proposer = assignor.propose
    wanted: tuple[Unit, ...] = ()
    config_offset: int = 0

    state: ref.State = field(default_factory=lambda: ref.INITIAL)
    epoch: int | None = None
    join_seq: int = 0
    seq: int = 0
    lease_deadline: int = ref.NEVER
    next_heartbeat: int = ref.NEVER
    sent_at: dict[int, int] = field(default_factory=dict)
    children: dict[Unit, _Child] = field(default_factory=dict)
    releases: dict[Unit, Token] = field(default_factory=dict)  # to send until applied
    release_sent_at: int = ref.NEVER
    join_sent_at: int = ref.NEVER
    proposal_seq: int | None = None  # my ASSIGNMENT in flight (not yet seen in the log)
    proposal_sent_at: int = ref.NEVER
    proposed_for: tuple[object, ...] | None = None  # inputs of the last empty-or-sent proposal
    wakeup: int | None = None  # broker time at which a proposal could change without a new record
    started: bool = False
    last_checkpoint_mbt: int = ref.NEVER
    recent: dict[int, ref.State] = field(default_factory=dict)  # offset -> state after it (ring)
    leaving: r.LeaveMode | None = None
    left: bool = False
    exited: str | None = None
    fenced: bool = False
    # Anchored, confirmed bootstrap (erratum 16). Without ``bootstrap_from`` (the simulator, whose log is
    # never truncated) the core is anchored on the log start and trusts it.
    anchored: bool = True
    confirmed: bool = True
    anchor_attempts: int = 0
    log_start: int = 0
    log_end: int = 0
    unanchored: list[tuple[int, int, r.Record]] = field(default_factory=list)  # since the read began
    foreign_read_at: int = 0  # local time another incarnation's record was last read (the log is not silent)
    refounding_sent: bool = False
    applied_since_anchor: dict[int, tuple[int, r.Record]] = field(default_factory=dict)  # offset -> (LAT, record)
    bootstrap_deadline: int = ref.NEVER

    # -- helpers ---------------------------------------------------------------------------------------

    def _next_seq(self) -> int:
        self.seq += 1
        return self.seq

    def _env(self) -> dict[str, object]:
        return {"cluster": self.fingerprint.group_id, "worker_id": self.worker_id, "incarnation": self.incarnation}

    def _member(self) -> ref.Member | None:
        return None if self.epoch is None else self.state.members.get(self.epoch)

    def live(self) -> bool:
        m = self._member()
        return m is not None and m.status is ref.Status.LIVE

    def _join(self, now: int) -> list[Command]:
        self.join_seq += 1
        self.epoch = None
        self.join_sent_at = now
        rec = r.JoinRecord(
            cluster=self.fingerprint.group_id,
            worker_id=self.worker_id,
            incarnation=self.incarnation,
            seq=self._next_seq(),
            wall_ms=0,
            join_seq=self.join_seq,
            rest_url=self.rest_url,
            fingerprint=self.fingerprint,
            config_offset=self.config_offset,
            ready=True,
        )
        return [Produce(rec)]

    # -- bootstrap (erratum 16) ----------------------------------------------------------------------------

    def bootstrap_from(self, log_start: int, log_end: int, now: int) -> list[Command]:
        """Called before the first record when the shell reads a real log whose start may have been deleted.

        Records are then applied only from an anchor: the CLUSTER record at the log start (a complete
        history), a CLUSTER record written after this worker began (a re-founding of a log nobody wrote to
        for longer than a lease), or a CHECKPOINT. An anchor on a CHECKPOINT is trusted, and the worker
        JOINs, only once a later CHECKPOINT of the checkpointer its state names matches its own digest.
        Replaying a truncated log from its start instead makes a new worker believe it is alone and lead
        (the review's CE-5): it would grant itself every unit the live members run.
        """
        self.log_start, self.log_end = log_start, log_end
        self.anchored = self.confirmed = False
        self.unanchored = []
        self.foreign_read_at = now
        p = self.profile.protocol
        self.bootstrap_deadline = now + 4 * p.checkpoint_interval_ms + 2 * p.lease_ms
        if log_start >= log_end:  # an empty log (new, or older than retention): found the cluster
            return self._refound()
        return []

    def _refound(self) -> list[Command]:
        self.refounding_sent = True
        rec = r.ClusterRecord(
            cluster=self.fingerprint.group_id,
            worker_id=self.worker_id,
            incarnation=self.incarnation,
            seq=0,
            params=self.profile.protocol,
            fingerprint=self.fingerprint,
        )
        return [Produce(rec)]

    def _anchor(self, offset: int, lat: int, record: r.Record, after_silence: bool) -> list[Command]:
        """A record read before the anchor: anchor on it, or keep it for the replay after one.

        A CLUSTER record later than the log start re-founds the cluster only if it was written after this
        worker began reading and it saw the silence itself (or wrote it): a worker of an older version
        writing one into a live log must not make this one believe it is alone.
        """
        refounding = offset >= self.log_end and after_silence
        if isinstance(record, r.ClusterRecord) and (offset == self.log_start or refounding):
            self.anchored = self.confirmed = True
            self.unanchored = []
            self.state = self.applier(ref.INITIAL, record, lat, offset)
            return []
        self.unanchored.append((offset, lat, record))
        if len(self.unanchored) > RECENT_STATES:
            del self.unanchored[0]
        if isinstance(record, r.CheckpointRecord):
            self._anchor_on(record)
        return []

    def _anchor_on(self, cp: r.CheckpointRecord) -> bool:
        """Start from a CHECKPOINT's state if every record after its as_of is at hand; replay them."""
        kept = self.unanchored
        if not kept or kept[0][0] > cp.as_of + 1:
            return False  # records between as_of and here were not read: wait for a later checkpoint
        try:
            state = ref.from_snapshot(cp.state)
        except (KeyError, TypeError, ValueError):
            return False
        if state.applied != cp.as_of or ref.digest(state) != cp.digest:
            return False
        self.anchored, self.confirmed = True, False
        self.anchor_attempts += 1
        self.recent = {cp.as_of: state}
        self.state = state
        self.applied_since_anchor = {}
        for offset, lat, record in kept:
            if offset > cp.as_of:
                self.state = self.applier(self.state, record, lat, offset)
                self.recent[offset] = self.state
                self.applied_since_anchor[offset] = (lat, record)
        self.unanchored = []
        return True

    def _confirm(self, before: ref.State, record: r.CheckpointRecord) -> list[Command]:
        """While anchored on a CHECKPOINT: the next one from the checkpointer must match my digest."""
        cp = ref.checkpointer(before)
        if cp is None or cp.epoch != record.epoch:
            return []
        mine = self.recent.get(record.as_of)
        if mine is not None and ref.digest(mine) == record.digest:
            self.confirmed = True
            return []
        if self.anchor_attempts >= MAX_ANCHOR_ATTEMPTS:
            self.exited = (
                f"bootstrap: {self.anchor_attempts} checkpoints of the coordination log did not confirm one another"
            )
            return [FenceAll(), Exit(self.exited)]
        # Re-anchor on this checkpoint: the records after its as_of were all applied since the last anchor.
        self.unanchored = [(o, lat, rec) for o, (lat, rec) in sorted(self.applied_since_anchor.items())]
        if not self._anchor_on(record):
            self.unanchored = []  # unusable (e.g. malformed): keep the current anchor, wait for the next one
        return []

    def _silent_log(self, now: int) -> list[Command]:
        """No other incarnation wrote for longer than a lease: no member can hold one, nobody will confirm."""
        if self.confirmed:
            return []
        if now >= self.bootstrap_deadline:
            self.exited = (
                "bootstrap: no confirmed anchor in the coordination log (no CLUSTER record at its start and no "
                "CHECKPOINT matched) although other workers keep writing to it"
            )
            return [FenceAll(), Exit(self.exited)]
        if not self._silent_for(now):
            return []
        if self.anchored:
            self.confirmed = True  # its members' leases are over; this worker's JOIN will expire them
            return []
        if not self.refounding_sent:
            return self._refound()  # applied as the anchor once read back (offset >= log_end)
        return []

    def _silent_for(self, now: int) -> bool:
        """True if no other incarnation wrote for longer than a lease (plus two heartbeats of slack)."""
        return now - self.foreign_read_at > self.profile.protocol.lease_ms + 2 * self.profile.local.heartbeat_ms

    # -- inputs ----------------------------------------------------------------------------------------

    def start(self, now: int) -> list[Command]:
        """JOIN once the CLUSTER record has been read (the shell writes it when the log is empty)."""
        self.started = True
        return self.tick(now)

    def incompatibility(self) -> str | None:
        """Erratum 5: a worker whose parameters or topics differ from the CLUSTER record never JOINs."""
        info = self.state.cluster
        assert info is not None
        if info.fingerprint != self.fingerprint:
            mine_fp, theirs_fp = self.fingerprint.to_json(), info.fingerprint.to_json()
            diff_fp = ", ".join(
                f"{k}={mine_fp[k]} (cluster: {theirs_fp[k]})" for k in mine_fp if mine_fp[k] != theirs_fp[k]
            )
            return f"group.id or internal topics differ from the cluster's CLUSTER record: {diff_fp}"
        mine, theirs = self.profile.protocol.to_json(), info.params.to_json()
        diff = sorted(k for k in mine if mine[k] != theirs[k])
        if diff:
            keys = ", ".join(f"{params.KEYS[k]}={mine[k]} (cluster: {theirs[k]})" for k in diff)
            return f"coordination parameters differ from the cluster's CLUSTER record: {keys}"
        return None

    def set_wanted(self, units: Iterable[Unit], config_offset: int) -> None:
        self.wanted = tuple(sorted(set(units)))
        self.config_offset = config_offset

    def on_delivery(self, seq: int, ok: bool, now: int) -> list[Command]:
        # A failed delivery may still be persisted (review §6.6): the referee dedupes by seq, so nothing to undo.
        if not ok and seq == self.proposal_seq:
            self.proposal_seq = None
        return []

    def on_record(self, offset: int, lat: int, record: r.Record, now: int) -> list[Command]:
        mine = record.incarnation == self.incarnation
        silent_before = self._silent_for(now)
        if not mine:
            self.foreign_read_at = now
        if not self.anchored:
            return self._anchor(offset, lat, record, mine or silent_before)
        before = self.state
        self.state = self.applier(self.state, record, lat, offset)
        if self.state is before or self.exited:
            return []
        out: list[Command] = []
        if self.state.halted is not None:
            self.exited = self.state.halted
            return [FenceAll(), Exit(self.state.halted)]
        self.recent[offset] = self.state  # states are immutable and share structure: cheap to keep
        if len(self.recent) > RECENT_STATES:
            del self.recent[next(iter(self.recent))]
        if not self.confirmed:
            self.applied_since_anchor[offset] = (lat, record)
            if len(self.applied_since_anchor) > RECENT_STATES:
                del self.applied_since_anchor[next(iter(self.applied_since_anchor))]
            if isinstance(record, r.CheckpointRecord):
                return self._confirm(before, record)
            return []
        if isinstance(record, r.CheckpointRecord) and not mine:
            cp = ref.checkpointer(before)
            if cp is not None and cp.epoch == record.epoch:
                problem = self._check_checkpoint(record)
                if problem:
                    return problem
        own_join = mine and isinstance(record, r.JoinRecord) and record.join_seq == self.join_seq
        if own_join and self.state.members.get(offset) is not None:
            self.epoch = offset
            self.lease_deadline = self.join_sent_at + self._lease_span()  # the JOIN is the first heartbeat
            self.next_heartbeat = now
        if self.epoch is not None:
            # I2: cap a revoked child's kernel deadline before any later renewal is passed on.
            g = self.profile.local.graceful_ms
            for u, v in self.state.revoking.items():
                c = self.children.get(u)
                if v.epoch == self.epoch and c is not None and c.token == v.token and not c.stopping:
                    c.stopping = True
                    c.deadline = min(c.deadline, now + g)
                    out += [SetDeadline(u, c.token, c.deadline), Stop(u, c.token)]
            if mine and isinstance(record, r.HeartbeatRecord) and record.epoch == self.epoch:
                m = self._member()
                if m is not None and m.status is ref.Status.LIVE and m.last_hb_off == offset:
                    sent = self.sent_at.pop(record.seq, None)
                    if sent is not None:
                        out += self._renew(self._renewal_base(sent, now) + self._lease_span())
            if mine and isinstance(record, r.AssignmentRecord) and record.seq == self.proposal_seq:
                self.proposal_seq = None
        unchanged = (
            self.state.owned is before.owned
            and self.state.revoking is before.revoking
            and self.state.parked is before.parked
            and self.state.gen == before.gen
            and not mine
        )
        return out if unchanged else out + self.tick(now)

    def _renewal_base(self, sent: int, now: int) -> int:
        """I4: a lease counts from the heartbeat's send time, never from when it was read back."""
        return sent

    def _lease_span(self) -> int:
        return self.state.params.lease_ms - self.profile.local.safety_margin_ms

    def _renew(self, deadline: int) -> list[Command]:
        if deadline <= self.lease_deadline:
            return []
        self.lease_deadline = deadline
        self.fenced = False
        out: list[Command] = []
        for u, c in sorted(self.children.items()):
            if not c.stopping:
                c.deadline = deadline
                out.append(SetDeadline(u, c.token, deadline))
        return out

    def on_child_exit(self, unit: Unit, token: Token, now: int) -> list[Command]:
        c = self.children.get(unit)
        if c is not None and c.token == token:
            del self.children[unit]
        if self.epoch is not None:
            v = ref.unit_view(self.state, unit)
            held = v is not None and v.epoch == self.epoch and v.token == token
            if held and v is not None and (v.state != "OWNED" or unit not in self.wanted):
                self.releases[unit] = token
        return self.tick(now)

    def leave(self, mode: r.LeaveMode, now: int) -> list[Command]:
        self.leaving = mode
        return self.tick(now)

    # -- the periodic decision ---------------------------------------------------------------------------

    def tick(self, now: int) -> list[Command]:
        if self.exited or self.left:
            return []
        out: list[Command] = []
        if self.epoch is None:
            if not self.confirmed:
                return self._silent_log(now) if self.started else out
            if not self.started or self.state.cluster is None:
                return out
            if self.join_seq == 0:
                problem = self.incompatibility()
                if problem is not None:
                    self.exited = problem
                    return [Exit(problem)]
                return self._join(now)
            # JOIN not seen yet; a lost JOIN may still land later (deduped by join_seq), so just retry.
            if now - self.join_sent_at > self.state.params.lease_ms:
                out += self._join(now)
            return out
        m = self._member()
        if m is None or m.status is not ref.Status.LIVE:
            return out + self._ended(m, now)
        if now >= self.lease_deadline and not self.fenced:
            self.fenced = True
            out.append(FenceAll())  # backstop: the children's kernel timers fire at the same deadline
        if self.leaving is not None:
            return out + self._leave_step(now)
        if now >= self.next_heartbeat:
            out += self._heartbeat(now)
        out += self._reconcile(now)
        out += self._send_releases(now)
        out += self._lead(now)
        out += self._checkpoint()
        return out

    def _heartbeat(self, now: int) -> list[Command]:
        assert self.epoch is not None
        self.next_heartbeat = now + self.profile.local.heartbeat_ms
        seq = self._next_seq()
        self.sent_at[seq] = now  # I4: the lease counts from the send time
        if len(self.sent_at) > 64:
            for old in sorted(self.sent_at)[:-64]:
                del self.sent_at[old]
        rec = r.HeartbeatRecord(
            cluster=self.fingerprint.group_id,
            worker_id=self.worker_id,
            incarnation=self.incarnation,
            seq=seq,
            epoch=self.epoch,
            applied_upto=self.state.applied,
            config_offset=self.config_offset,
            ready=True,
            can_lead=True,
        )
        return [Produce(rec)]

    def _reconcile(self, now: int) -> list[Command]:
        assert self.epoch is not None
        out: list[Command] = []
        wanted = frozenset(self.wanted)
        mine = ref.units_of(self.state, self.epoch)
        desired = {u: k for u, k in mine.items() if u in wanted}
        for u, c in sorted(self.children.items()):
            if not c.stopping and desired.get(u) != c.token:
                c.stopping = True
                c.deadline = min(c.deadline, now + self.profile.local.graceful_ms)
                out += [SetDeadline(u, c.token, c.deadline), Stop(u, c.token)]
        min_lease = self.profile.local.min_start_lease_ms(self.state.params.lease_ms)
        if self.lease_deadline - now >= min_lease:
            for u, k in desired.items():
                # I1: no process of u, under any token, alive here; and a grant this worker has given up
                # (RELEASE queued or in flight) is never started again, even if the unit is wanted again.
                if u not in self.children and self.releases.get(u) != k:
                    self.children[u] = _Child(k, self.lease_deadline)
                    out.append(Spawn(u, k, self.lease_deadline))
        # Revoked (or no longer wanted) units without a process: release at once.
        for u, k in ref.revoking_of(self.state, self.epoch).items():
            if u not in self.children:
                self.releases.setdefault(u, k)
        for u, k in mine.items():
            if u not in desired and u not in self.children:
                self.releases.setdefault(u, k)
        return out

    def _send_releases(self, now: int) -> list[Command]:
        assert self.epoch is not None
        for u, k in list(self.releases.items()):
            v = ref.unit_view(self.state, u)
            if v is None or v.epoch != self.epoch or v.token != k or (v.state == "PARKED" and v.token == k):
                del self.releases[u]  # applied (or no longer mine): stop re-sending
        if not self.releases or now - self.release_sent_at < 2 * self.profile.local.heartbeat_ms:
            return []
        self.release_sent_at = now
        items = tuple(r.ReleaseItem(u, k) for u, k in sorted(self.releases.items()))
        rec = r.ReleaseRecord(
            cluster=self.fingerprint.group_id,
            worker_id=self.worker_id,
            incarnation=self.incarnation,
            seq=self._next_seq(),
            epoch=self.epoch,
            items=items,
        )
        return [Produce(rec)]

    def _checkpoint(self) -> list[Command]:
        """The checkpointer (oldest LIVE member) writes a CHECKPOINT every C of broker time (erratum 16)."""
        assert self.epoch is not None
        st = self.state
        cp = ref.checkpointer(st)
        if cp is None or cp.epoch != self.epoch or st.mbt < self.last_checkpoint_mbt + st.params.checkpoint_interval_ms:
            return []
        self.last_checkpoint_mbt = st.mbt
        rec = r.CheckpointRecord(
            cluster=self.fingerprint.group_id,
            worker_id=self.worker_id,
            incarnation=self.incarnation,
            seq=self._next_seq(),
            epoch=self.epoch,
            as_of=st.applied,
            digest=ref.digest(st),
            state=ref.snapshot(st),
        )
        return [Produce(rec)]

    def _check_checkpoint(self, rec: r.CheckpointRecord) -> list[Command]:
        """Compare a CHECKPOINT with my own state at its as_of; a mismatch is divergence (erratum 14)."""
        mine = self.recent.get(rec.as_of)
        if mine is None or ref.digest(mine) == rec.digest:
            return []
        self.exited = f"divergence: CHECKPOINT at {rec.as_of} has digest {rec.digest}, mine is {ref.digest(mine)}"
        return [FenceAll(), Exit(self.exited)]

    def _lead(self, now: int) -> list[Command]:
        assert self.epoch is not None
        lead = ref.leader(self.state)
        if lead is None or lead.epoch != self.epoch or now >= self.lease_deadline:
            return []
        if self.proposal_seq is not None and now - self.proposal_sent_at < self.state.params.lease_ms:
            return []  # my previous ASSIGNMENT is not applied yet
        st = self.state
        key = (st.owned, st.revoking, st.parked, st.gen, st.membership_mbt, st.restart_mbt, self.wanted)
        ready = tuple(m.epoch for m in ref.live_members(st) if m.ready)
        unchanged = self.proposed_for is not None and all(
            a is b or a == b for a, b in zip(self.proposed_for, (*key, ready), strict=True)
        )
        if unchanged and (self.wakeup is None or st.mbt < self.wakeup):
            return []  # the proposal is a pure function of these: it would come out empty again
        self.proposed_for, self.wakeup = (*key, ready), assignor.next_wakeup(st)
        proposal = self.proposer(st, self.wanted, self.config_offset)
        if proposal is None:
            return []
        seq = self._next_seq()
        self.proposal_seq, self.proposal_sent_at = seq, now
        rec = r.AssignmentRecord(
            cluster=self.fingerprint.group_id,
            worker_id=self.worker_id,
            incarnation=self.incarnation,
            seq=seq,
            epoch=self.epoch,
            gen=proposal.gen,
            based_on=self.state.applied,
            config_offset=proposal.config_offset,
            revokes=proposal.revokes,
            grants=proposal.grants,
        )
        return [Produce(rec)]

    def _leave_step(self, now: int) -> list[Command]:
        assert self.epoch is not None
        out: list[Command] = []
        for u, c in sorted(self.children.items()):
            if not c.stopping:
                c.stopping = True
                c.deadline = min(c.deadline, now + self.profile.local.graceful_ms)
                out += [SetDeadline(u, c.token, c.deadline), Stop(u, c.token)]
        if self.children:
            return out
        assert self.leaving is not None
        rec = r.LeaveRecord(
            cluster=self.fingerprint.group_id,
            worker_id=self.worker_id,
            incarnation=self.incarnation,
            seq=self._next_seq(),
            epoch=self.epoch,
            mode=self.leaving,
        )
        self.left = True  # I3/I5: LEAVE only after every child exited; nothing spawns afterwards
        return [*out, Produce(rec)]

    def _ended(self, m: ref.Member | None, now: int) -> list[Command]:
        """My epoch is no longer LIVE: kill everything, then re-join (or stop on a duplicate worker.id)."""
        out: list[Command] = []
        if self.children:
            if not self.fenced:
                self.fenced = True
                out.append(FenceAll())
            return out
        if m is not None and m.status is ref.Status.SUPERSEDED:
            newer = [
                x
                for x in self.state.members.values()
                if x.worker_id == self.worker_id and x.status is ref.Status.LIVE and x.incarnation != self.incarnation
            ]
            if newer:
                self.exited = "duplicate worker.id: superseded by another process"
                return [*out, Exit(self.exited)]
        if self.leaving is not None:
            self.left = True
            return out
        self.releases.clear()
        self.fenced = False
        return out + self._join(now)
