"""Analysis: KPIs (turnover, stockout rate, on-time delivery, accuracy, approval time, sales
trend) and dead stock, as set-based queries over the ledger and the documents."""
