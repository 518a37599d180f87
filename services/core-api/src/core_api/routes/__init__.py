"""HTTP routes, one module per resource: parse, authorise, call one service function."""
