"""usage-ingestor's HTTP routes: parse, authorise, call one service function."""
