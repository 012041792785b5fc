"""Import and export: products, partners and opening stock from .xlsx/.csv; stock to .xlsx."""
