"""Plain parameterised SQL over the ``core`` schema, one module per table family."""
