"""Domain operations. Each opens its transaction and writes the rows and their
outbox events together; none knows about HTTP."""
