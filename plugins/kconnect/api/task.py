"""Task interfaces: tasks move data; each runs in its own OS process."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from concurrent.futures import Future
from typing import Any, ClassVar, Protocol

from kconnect.api.records import SinkRecord, SourceRecord, TopicPartition


class OffsetStorageReader(Protocol):
    def offset(self, partition: Mapping[str, Any]) -> dict[str, Any] | None: ...

    def offsets(self, partitions: Sequence[Mapping[str, Any]]) -> dict[Any, dict[str, Any]]:
        """Map each partition (as a frozen key) to its last committed offset."""


class TransactionContext(Protocol):
    """KIP-618: lets a source task define transaction boundaries (exactly-once sources only)."""

    def commit_transaction(self, record: SourceRecord | None = None) -> None: ...

    def abort_transaction(self, record: SourceRecord | None = None) -> None: ...


class SourceTaskContext(Protocol):
    @property
    def configs(self) -> Mapping[str, str]: ...

    def offset_storage_reader(self) -> OffsetStorageReader: ...

    def transaction_context(self) -> TransactionContext | None: ...


class ErrantRecordReporter(Protocol):
    def report(self, record: SinkRecord, error: BaseException) -> Future[None]:
        """Hand a record the sink could not process to the error handler (log / DLQ)."""


class SinkTaskContext(Protocol):
    @property
    def configs(self) -> Mapping[str, str]: ...

    def offset(self, offsets: Mapping[TopicPartition, int]) -> None:
        """Rewind or skip: consumption resumes from these offsets."""

    def timeout(self, timeout_ms: int) -> None:
        """Backoff before redelivering after a RetriableError from ``put``."""

    def assignment(self) -> set[TopicPartition]: ...

    def pause(self, *partitions: TopicPartition) -> None: ...

    def resume(self, *partitions: TopicPartition) -> None: ...

    def request_commit(self) -> None: ...

    def errant_record_reporter(self) -> ErrantRecordReporter | None: ...


class Task(ABC):
    #: The class name reported as ``task.class`` in task configs (default: ``module.QualName``).
    class_name: ClassVar[str] = ""

    @classmethod
    def version(cls) -> str:
        return "0.0.0"

    @abstractmethod
    def start(self, props: Mapping[str, str]) -> None: ...

    @abstractmethod
    def stop(self) -> None: ...


class SourceTask(Task):
    def __init__(self) -> None:
        self.context: SourceTaskContext | None = None

    def initialize(self, context: SourceTaskContext) -> None:
        self.context = context

    @abstractmethod
    def poll(self) -> list[SourceRecord] | None:
        """Return new records, or None/[] when there is nothing now. Should not block for long."""

    def commit(self) -> None:
        """Offsets up to the records acknowledged so far were committed."""
        return None

    def commit_record(self, record: SourceRecord, metadata: Any | None) -> None:
        """A record was acknowledged by Kafka (``metadata`` is None if it was filtered out)."""
        return None


class SinkTask(Task):
    def __init__(self) -> None:
        self.context: SinkTaskContext | None = None

    def initialize(self, context: SinkTaskContext) -> None:
        self.context = context

    @abstractmethod
    def put(self, records: Sequence[SinkRecord]) -> None: ...

    def flush(self, current_offsets: Mapping[TopicPartition, int]) -> None:
        """Make everything handed to ``put`` durable."""
        return None

    def pre_commit(self, current_offsets: Mapping[TopicPartition, int]) -> Mapping[TopicPartition, int]:
        """Return the offsets safe to commit; the default flushes and commits everything."""
        self.flush(current_offsets)
        return current_offsets

    def open(self, partitions: Sequence[TopicPartition]) -> None:
        return None

    def close(self, partitions: Sequence[TopicPartition]) -> None:
        return None
