"""Stock counts (盘点): frozen expectations, scanned counts, variances posted as adjustments."""
