"""Domain operations behind usage-ingestor's HTTP routes."""
