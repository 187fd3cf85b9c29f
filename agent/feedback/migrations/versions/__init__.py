"""One module per schema step, applied in ``down_revision`` order; append only."""
