"""Printed documents: quotation, sales order/contract, delivery note and purchase order as
PDF, in zh_CN and en, with amounts in figures and in words (大写金额)."""
