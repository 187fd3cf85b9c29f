"""The command line, one module per subject; ``main`` assembles them."""
