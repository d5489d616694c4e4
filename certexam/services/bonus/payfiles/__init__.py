"""Payment files a bank takes (issue 23): ISO 20022 pain.001, a Chinese bank's bulk template, statements.

accounts: card/account/CNAPS checks with messages; settings: the payer and the
template's settings; pain001 and cn_template: the two export formats; lines:
per-line status, returns and corrections; statement: reconciliation.
"""
