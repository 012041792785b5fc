"""Printed documents: quotation (报价单), sales contract (销售合同), delivery note (送货单)
and purchase order (采购订单) as A4 PDFs through the kernel's report service, served at
``/reports/{name}/{id}.pdf`` with the caller's permissions and language.

* ``loaders`` read one document into a template context (permission and warehouse scope
  checked, never a cost); ``blocks`` are the shared parts (letterhead, partner, lines,
  totals); ``labels`` the fixed words; ``printing`` the template helpers.
* The templates are in base_jxc's ``templates/documents/`` (where the kernel looks for an
  addon's templates).
* The letterhead comes from the ``company.*`` policies (name, address, phone, tax ID, bank,
  account), set with ``policySet``.
"""
