"""Work on many documents at once, as jobs: the bulk actions of the invoices, receipts and
payments lists, and a client's pending receipts stamped until none remain."""
