"""Company configuration: policies — the configurable rules of the trading chapters
(approval threshold, receipt tolerance, ageing buckets …), one typed value per key,
editable through the API — and the sequences behind document numbers."""
