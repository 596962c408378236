"""Data governance (issue #38): the audit log of groups, the security log of accounts, data export and retention."""
