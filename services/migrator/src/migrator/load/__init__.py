"""The load side: ``migrator.core-records`` → core tables in PostgreSQL.

Reads Kafka and writes PostgreSQL only; never imports a MongoDB driver.
"""

from migrator.load.position import NotThisTopic
from migrator.load.run import run_load, run_replay
from migrator.load.tally import LoadSummary

__all__ = ["LoadSummary", "NotThisTopic", "run_load", "run_replay"]
