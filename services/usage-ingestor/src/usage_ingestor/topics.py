"""Creates the consumed topic and its dead-letter topic when they are missing.

A group consumer subscribed to a topic that does not exist yet would sit
unassigned until its next metadata refresh; creating both up front (an
"already exists" answer is fine) makes a fresh broker work at once.
"""

from aiokafka.admin import AIOKafkaAdminClient, NewTopic

from sendfx_shared.settings import KafkaSettings


async def ensure_topics(settings: KafkaSettings, topics: dict[str, int]) -> None:
    """``topics`` maps a name to the partitions it gets if it is created now."""
    admin = AIOKafkaAdminClient(**settings.kafka_client_options(), request_timeout_ms=10_000)
    await admin.start()
    try:
        await admin.create_topics(
            [NewTopic(name, partitions, 1) for name, partitions in topics.items()]
        )
    finally:
        await admin.close()
