"""Sales: quotations, sales orders (contracts) with credit control, reservations,
deliveries by serial or batch, invoicing and margins."""
