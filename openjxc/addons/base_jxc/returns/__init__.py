"""Customer returns (RMA): a return code, goods into quarantine, inspection (restock, scrap
or back to the supplier), closed by a credit note (红字发票) or a refund."""
