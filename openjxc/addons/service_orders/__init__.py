"""Installation, repair and maintenance work orders."""
