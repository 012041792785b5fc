"""Receivables and payables: invoices, credit notes (红字发票), payments and their allocation,
partner balances and ageing."""
