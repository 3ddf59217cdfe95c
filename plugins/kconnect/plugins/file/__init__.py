"""Apache Kafka's demo FileStream connectors (``org.apache.kafka.connect.file``), re-implemented.

``FileStreamSource`` appends each line of a file (or stdin) to a topic; ``FileStreamSink`` writes each
record value of its topics as one line of a file (or stdout).
"""

from kconnect.plugins.file.sink import FileStreamSinkConnector, FileStreamSinkTask
from kconnect.plugins.file.source import KAFKA_VERSION, FileStreamSourceConnector, FileStreamSourceTask

__all__ = [
    "KAFKA_VERSION",
    "FileStreamSinkConnector",
    "FileStreamSinkTask",
    "FileStreamSourceConnector",
    "FileStreamSourceTask",
]
