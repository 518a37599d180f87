"""Plain parameterised SQL over usage-ingestor's tables, for the HTTP routes."""
