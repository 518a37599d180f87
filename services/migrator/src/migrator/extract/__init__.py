"""The extract side: legacy MongoDB collections → ``migrator.core-records``.

Reads MongoDB and writes Kafka only; never imports a PostgreSQL driver.
"""

from migrator.extract.run import ExtractSummary, run_extract

__all__ = ["ExtractSummary", "run_extract"]
