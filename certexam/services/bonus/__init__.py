"""The holder bonus (rules s.3): employment records, applications, checks, public notice, the yearly budget, payouts, fraud."""
