"""Certificates: issuing, signed PDFs and QR tokens, verification online and offline, receipts, status changes, the signing keys."""
