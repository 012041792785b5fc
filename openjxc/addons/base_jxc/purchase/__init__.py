"""Purchase: requisitions (请购), purchase orders with approval by amount, receipts with
inspection, purchase returns and supplier invoices."""
